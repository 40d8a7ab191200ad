with

source as (
    select * from {{ source('genai_prices', 'genai_prices') }}
),

renamed as (
    select
        provider_id,
        provider_name,
        model_id,
        model_name,
        start_date as price_start_date,
        cast(input_usd_per_mtok as double) as input_usd_per_mtok,
        cast(output_usd_per_mtok as double) as output_usd_per_mtok,
        is_tiered,
        varies_by_time_of_day,
        cast(context_window as bigint) as context_window,
        deprecated,
        package_version,
        origin,
        fetched_at
    from source
),

final as (
    select * from renamed
)

select * from final
