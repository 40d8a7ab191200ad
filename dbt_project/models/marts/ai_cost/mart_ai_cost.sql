{#- The capability bars, by column prefix: a model counts when it reaches the MMLU bar or the
    GPQA Diamond bar (the bridge past MMLU's saturation; both in dbt_project.yml). -#}
{%- set bars = {
    'gpt4_level': {
        'mmlu': number_var('ai_cost_gpt4_level_mmlu', 0, 100),
        'gpqa': number_var('ai_cost_gpt4_level_gpqa', 0, 100),
    },
    'gpt35_level': {
        'mmlu': number_var('ai_cost_gpt35_level_mmlu', 0, 100),
        'gpqa': number_var('ai_cost_gpt35_level_gpqa', 0, 100),
    },
} -%}
{%- set window_months = var('ai_cost_trend_window_months') -%}

with

points as (
    select * from {{ ref('int_ai_cost__price_points') }}
),

spine as (
    select
        cast(month as date) as date,
        cast(month + interval 1 month - interval 1 day as date) as month_end,
        -- Months since year 0, in years: exact steps of 1/12, so a price falling 10x every 12
        -- months has a slope of exactly -ln(10) per year.
        (year(month) * 12 + month(month) - 1) / 12.0 as years
    from (
        select unnest(generate_series(
            min(date_trunc('month', price_date)), max(date_trunc('month', price_date)), interval 1 month
        )) as month
        from points
    )
),

bars as (
    {%- for prefix, bar in bars.items() %}
    select
        '{{ prefix }}' as bar,
        cast({{ bar.mmlu }} as double) as mmlu_bar,
        cast({{ bar.gpqa }} as double) as gpqa_bar
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

scored_points as (
    -- The seed's capability score counts as MMLU only when its benchmark is MMLU, whatever the
    -- harness (scores from different harnesses are not strictly comparable, see the seed); other
    -- benchmarks in that column (SWE-bench, Terminal-Bench) are on other scales.
    select
        *,
        case when regexp_matches(capability_benchmark, '^MMLU( |$)') then capability_score end as mmlu_score
    from points
),

qualifying as (
    -- At the level on MMLU or on GPQA Diamond (the bridge: newer models report only the latter);
    -- the benchmark that qualified the point is kept, MMLU first when both do.
    select
        bars.bar,
        scored_points.*,
        case when scored_points.mmlu_score >= bars.mmlu_bar then 'MMLU' else 'GPQA Diamond' end as qualified_on,
        row_number() over (
            partition by bars.bar
            order by
                scored_points.available_by_date,
                scored_points.blended_usd_per_mtok,
                scored_points.source,
                scored_points.provider,
                scored_points.model_id
        ) as seq
    from scored_points
    inner join bars
        on scored_points.mmlu_score >= bars.mmlu_bar or scored_points.gpqa_diamond_score >= bars.gpqa_bar
),

records as (
    -- The points that undercut every earlier one at their bar: the steps of the running minimum.
    select *
    from (
        select
            *,
            min(blended_usd_per_mtok) over (
                partition by bar order by seq rows between unbounded preceding and 1 preceding
            ) as earlier_minimum
        from qualifying
    )
    where earlier_minimum is null or blended_usd_per_mtok < earlier_minimum
),

frontier as (
    -- The cheapest price at the bar among points available by the month's end: the last record
    -- on or before it.
    select
        bar_months.bar,
        bar_months.date,
        bar_months.years,
        bar_months.mmlu_bar,
        bar_months.gpqa_bar,
        records.blended_usd_per_mtok,
        records.model_id,
        records.source,
        records.available_by_date,
        records.qualified_on,
        records.mmlu_score,
        records.gpqa_diamond_score
    from (select spine.*, bars.bar, bars.mmlu_bar, bars.gpqa_bar from spine cross join bars) as bar_months
    asof left join records
        on bar_months.bar = records.bar and records.available_by_date <= bar_months.month_end
),

fitted as (
    -- Log-linear fit over the trailing window of monthly frontier values: ln(price) falls by
    -- ln(k) a year when the price falls k times a year, so k = exp(-slope). Rounded to 6
    -- decimals: an estimate this uncertain has no use for float noise in the 15th digit.
    select
        *,
        round(exp(-regr_slope(ln(blended_usd_per_mtok), years) over trend_window), 6) as decline_factor,
        count(blended_usd_per_mtok) over trend_window as fit_points
    from frontier
    window trend_window as (
        partition by bar order by date rows between {{ window_months - 1 }} preceding and current row
    )
),

trend_estimates as (
    select * from {{ ref('stg_reference__ai_prices') }}
    where record_type = 'trend_estimate'
),

epoch_by_bar as (
    -- Epoch AI's estimate for the MMLU threshold nearest each bar (GPT-4-0314 level, 86, for 83).
    select bars.bar, estimates.*
    from bars
    cross join (
        select
            *,
            -- nullif: SQL does not promise the where clause runs first, and on a DuckLake it did
            -- not (the cast met the '' of a row the filter drops: "Could not convert string ''").
            cast(nullif(regexp_extract(capability_benchmark, '^MMLU >= ([0-9.]+)', 1), '') as double)
                as mmlu_threshold
        from trend_estimates
        where provider = 'Epoch AI' and regexp_matches(capability_benchmark, '^MMLU >= [0-9.]+')
    ) as estimates
    qualify row_number() over (
        partition by bars.bar order by abs(estimates.mmlu_threshold - bars.mmlu_bar), estimates.mmlu_threshold
    ) = 1
),

a16z as (
    -- a16z's headline ("for an LLM of equivalent performance, the cost is decreasing by 10x every year").
    select decline_factor_per_year, source_url
    from trend_estimates
    where model = 'a16z LLMflation: cost at constant capability'
),

final as (
    select
        spine.date,
        {%- for prefix in bars %}
        {{ prefix }}.mmlu_bar as {{ prefix }}_mmlu_bar,
        {{ prefix }}.gpqa_bar as {{ prefix }}_gpqa_bar,
        {{ prefix }}.blended_usd_per_mtok as {{ prefix }}_usd_per_mtok,
        {{ prefix }}.model_id as {{ prefix }}_model,
        {{ prefix }}.source as {{ prefix }}_source,
        {{ prefix }}.available_by_date as {{ prefix }}_date,
        {{ prefix }}.qualified_on as {{ prefix }}_benchmark,
        {{ prefix }}.mmlu_score as {{ prefix }}_mmlu,
        {{ prefix }}.gpqa_diamond_score as {{ prefix }}_gpqa,
        case
            when {{ prefix }}.fit_points >= {{ var('ai_cost_trend_min_points') }} then {{ prefix }}.decline_factor
        end as {{ prefix }}_decline_factor_per_year,
        {{ prefix }}.fit_points as {{ prefix }}_fit_points,
        {{ prefix }}_epoch.decline_factor_per_year as {{ prefix }}_epoch_decline_factor_per_year,
        {{ prefix }}_epoch.decline_factor_low as {{ prefix }}_epoch_decline_factor_low,
        {{ prefix }}_epoch.decline_factor_high as {{ prefix }}_epoch_decline_factor_high,
        {{ prefix }}_epoch.mmlu_threshold as {{ prefix }}_epoch_mmlu_threshold,
        {{ prefix }}_epoch.source_url as {{ prefix }}_epoch_source_url,
        {%- endfor %}
        a16z.decline_factor_per_year as a16z_decline_factor_per_year,
        a16z.source_url as a16z_source_url
    from spine
    {%- for prefix in bars %}
    left join fitted as {{ prefix }} on spine.date = {{ prefix }}.date and {{ prefix }}.bar = '{{ prefix }}'
    left join epoch_by_bar as {{ prefix }}_epoch on {{ prefix }}_epoch.bar = '{{ prefix }}'
    {%- endfor %}
    left join a16z on true
)

select * from final
