with

source as (
    select * from {{ ref('ai_inference_prices') }}
),

renamed as (
    select
        record_type,
        model,
        provider,
        price_date as price_date_text,
        {{ mixed_precision_date('price_date') }} as price_date,
        {{ mixed_precision('price_date') }} as price_date_precision,
        price_date_type,
        period,
        input_usd_per_mtok,
        output_usd_per_mtok,
        blended_usd_per_mtok,
        blend_method,
        capability_benchmark,
        capability_score,
        decline_factor_per_year,
        decline_factor_low,
        decline_factor_high,
        source_url,
        capability_source_url,
        confidence,
        notes
    from source
),

final as (
    select * from renamed
)

select * from final
