with

source as (
    select * from {{ source('openrouter', 'openrouter_models') }}
),

renamed as (
    select
        snapshot_date,
        model_id,
        canonical_slug,
        name as model_name,
        created_at,
        cast(context_length as bigint) as context_length,
        cast(prompt_usd_per_mtok as double) as prompt_usd_per_mtok,
        cast(completion_usd_per_mtok as double) as completion_usd_per_mtok,
        is_variable_price,
        is_free,
        has_tiered_pricing,
        alias_of,
        modality,
        origin,
        fetched_at
    from source
),

final as (
    select * from renamed
)

select * from final
