{{ config(materialized='table') }}

with

reference_prices as (
    select * from {{ ref('stg_reference__ai_prices') }}
    where record_type = 'price_point'
),

gpqa_diamond as (
    -- The bridge benchmark: newer models report GPQA Diamond, not the saturated MMLU. One curated,
    -- sourced score per seed model (ai_capability_scores), keyed by the seed's model name.
    select model, score as gpqa_diamond_score, source_url as gpqa_diamond_source_url
    from {{ ref('ai_capability_scores') }}
    where benchmark = 'GPQA Diamond'
),

seed_points as (
    select
        'seed' as source,
        reference_prices.provider,
        reference_prices.model as model_id,
        reference_prices.model as model_name,
        reference_prices.price_date,
        reference_prices.price_date_precision,
        reference_prices.input_usd_per_mtok,
        reference_prices.output_usd_per_mtok,
        reference_prices.blended_usd_per_mtok,
        reference_prices.blend_method,
        reference_prices.capability_benchmark,
        reference_prices.capability_score,
        case
            when reference_prices.capability_score is not null or gpqa_diamond.gpqa_diamond_score is not null
                then reference_prices.model
        end as capability_model,
        reference_prices.capability_source_url,
        gpqa_diamond.gpqa_diamond_score,
        gpqa_diamond.gpqa_diamond_source_url,
        reference_prices.source_url,
        reference_prices.confidence,
        'reference' as origin
    from reference_prices
    left join gpqa_diamond on reference_prices.model = gpqa_diamond.model
),

capability as (
    -- The score of each curated model (a model's rows share it: a price change keeps the model).
    select model, capability_benchmark, capability_score
    from reference_prices
    where capability_score is not null
    qualify row_number() over (partition by model order by price_date desc) = 1
),

openrouter_prices as (
    -- Routers (variable price), free variants and aliases (the same model listed twice) are not
    -- list prices of a model.
    select
        'openrouter' as source,
        'openrouter' as provider,
        model_id,
        model_name,
        snapshot_date as price_date,
        prompt_usd_per_mtok as input_usd_per_mtok,
        completion_usd_per_mtok as output_usd_per_mtok,
        'https://openrouter.ai/api/v1/models' as source_url,
        origin
    from {{ ref('stg_openrouter__models') }}
    where not is_variable_price and not is_free and alias_of is null
),

genai_prices as (
    -- Only dated prices: an undated genai-prices price has no day it applied from. A start date
    -- still ahead is an announced change, not yet a price anyone could pay.
    select
        'genai_prices' as source,
        provider_id as provider,
        model_id,
        model_name,
        price_start_date as price_date,
        input_usd_per_mtok,
        output_usd_per_mtok,
        'https://pypi.org/project/genai-prices/' || package_version || '/' as source_url,
        origin
    from {{ ref('stg_genai_prices__prices') }}
    where price_start_date is not null and price_start_date <= current_date
),

catalogue_points as (
    select
        prices.source,
        prices.provider,
        prices.model_id,
        prices.model_name,
        prices.price_date,
        'day' as price_date_precision,
        prices.input_usd_per_mtok,
        prices.output_usd_per_mtok,
        -- 3 input tokens per output token, as the seed, Epoch and Artificial Analysis blend.
        (3 * prices.input_usd_per_mtok + prices.output_usd_per_mtok) / 4 as blended_usd_per_mtok,
        '3:1 input:output (computed here)' as blend_method,
        capability.capability_benchmark,
        capability.capability_score,
        capability_map.seed_model as capability_model,
        capability_map.source_url as capability_source_url,
        gpqa_diamond.gpqa_diamond_score,
        gpqa_diamond.gpqa_diamond_source_url,
        prices.source_url,
        cast(null as varchar) as confidence,
        prices.origin
    from (select * from openrouter_prices union all by name select * from genai_prices) as prices
    -- Capability only through the curated map of exact model identities, never guessed.
    left join {{ ref('ai_model_capability_map') }} as capability_map
        on prices.provider = capability_map.provider_id and prices.model_id = capability_map.model_id
    left join capability on capability_map.seed_model = capability.model
    left join gpqa_diamond on capability_map.seed_model = gpqa_diamond.model
    where prices.input_usd_per_mtok is not null and prices.output_usd_per_mtok is not null
),

final as (
    select
        *,
        -- The last day of the period the date names: a price curated as `2025` surely applied by
        -- 31 December, not by 1 January.
        case price_date_precision
            when 'day' then price_date
            when 'month' then last_day(price_date)
            when 'year' then make_date(year(price_date), 12, 31)
        end as available_by_date
    from (select * from seed_points union all by name select * from catalogue_points)
    where price_date is not null and blended_usd_per_mtok > 0
)

select * from final
