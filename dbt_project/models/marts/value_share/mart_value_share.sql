{#- World Bank indicators by column prefix. -#}
{%- set indicators = {
    'population': 'SP.POP.TOTL',
    'gdp': 'NY.GDP.MKTP.CD',
    'exports': 'NE.EXP.GNFS.CD',
    'market_cap': 'CM.MKT.LCAP.CD',
} -%}
{#- Curated context facts (seed structural_facts) by column prefix: fact_id pattern. -#}
{%- set context_facts = {
    'bis_fx_turnover': 'usd_share_fx_turnover_%',
    'swift': 'swift_usd_%',
    'cofer_reference': 'cofer_usd_%',
} -%}

with

indicators as (
    select
        indicator_id,
        country_code,
        year,
        value,
        -- Aggregates are matched on the 2-character id: income groups come without an ISO3 code.
        country_id in (select iso2 from {{ ref('worldbank_aggregates') }}) as is_aggregate
    from {{ ref('stg_worldbank__indicators') }}
    where indicator_id in ('{{ indicators.values() | join("', '") }}')
),

years as (
    -- Every year the API lists, even with no value yet (the latest year usually), so the
    -- context columns of that year have a row.
    select distinct year from indicators
),

totals as (
    select
        indicator_id,
        year,
        max(value) filter (where country_code = 'USA') as usa,
        max(value) filter (where country_code = 'CHN') as chn,
        max(value) filter (where country_code = 'WLD') as world,
        sum(value) filter (where not is_aggregate) as countries_total,
        count(value) filter (where not is_aggregate) as countries_with_value
    from indicators
    group by indicator_id, year
),

shares as (
    -- The World aggregate is the denominator when it has a value; otherwise (listed empty, or
    -- not listed at all) the sum of the countries that have one, which covers less than the
    -- world and so overstates a share: the denominator column says which was used.
    select
        indicator_id,
        year,
        100 * usa / coalesce(world, countries_total) as us_share_pct,
        100 * chn / coalesce(world, countries_total) as cn_share_pct,
        -- Both bases, for like-for-like changes over time.
        100 * usa / world as us_share_of_world_pct,
        100 * usa / countries_total as us_share_of_countries_pct,
        case
            when world is not null then 'world'
            when countries_with_value > 0 then 'sum_of_countries'
        end as denominator,
        case when world is null and countries_with_value > 0 then countries_with_value end
            as countries_summed
    from totals
),

context as (
    select
        case
            {%- for prefix, pattern in context_facts.items() %}
            when fact_id like '{{ pattern }}' then '{{ prefix }}'
            {%- endfor %}
        end as context,
        fact_id,
        value,
        period_start,
        as_of_date,
        source_url
    from {{ ref('stg_reference__structural_facts') }}
    where period_start is not null
),

context_by_year as (
    -- The latest fact of each year (for COFER the last quarter; of two versions of one quarter,
    -- the later publication).
    select *, year(period_start) as year
    from context
    where context is not null
    qualify row_number() over (
        partition by context, year(period_start)
        order by period_start desc, as_of_date desc nulls last, fact_id desc
    ) = 1
),

cofer_by_year as (
    -- The live COFER series: its last published quarter of each year.
    select year(obs_date) as year, obs_date, usd_share_pct
    from {{ ref('stg_imf__cofer') }}
    qualify row_number() over (partition by year(obs_date) order by obs_date desc) = 1
),

final as (
    select
        years.year,
        make_date(years.year, 1, 1) as date,
        {%- for prefix, indicator in indicators.items() %}
        {{ prefix }}.us_share_pct as us_{{ prefix }}_share_pct,
        {{ prefix }}.cn_share_pct as cn_{{ prefix }}_share_pct,
        {{ prefix }}.denominator as {{ prefix }}_denominator,
        {{ prefix }}.countries_summed as {{ prefix }}_countries_summed,
        {%- endfor %}
        us_market_cap_share_pct / nullif(us_population_share_pct, 0) as capital_to_population_share_ratio,
        {%- for prefix in ['gdp', 'market_cap'] %}
        -- Like for like: the World denominator in both years when both have it, else the sum of
        -- countries in both years, never a World share minus a sum-of-countries share.
        coalesce(
            {{ prefix }}.us_share_of_world_pct - {{ prefix }}_5y_ago.us_share_of_world_pct,
            {{ prefix }}.us_share_of_countries_pct - {{ prefix }}_5y_ago.us_share_of_countries_pct
        ) as us_{{ prefix }}_share_5y_change_pp,
        case
            when {{ prefix }}.us_share_of_world_pct is not null
                and {{ prefix }}_5y_ago.us_share_of_world_pct is not null then 'world'
            when {{ prefix }}.us_share_of_countries_pct is not null
                and {{ prefix }}_5y_ago.us_share_of_countries_pct is not null then 'sum_of_countries'
        end as us_{{ prefix }}_share_5y_change_basis,
        {%- endfor %}
        {%- for prefix in context_facts %}
        {{ prefix }}.value as {{ prefix }}_usd_share_pct,
        {{ prefix }}.period_start as {{ prefix }}_date,
        {{ prefix }}.fact_id as {{ prefix }}_fact_id,
        {{ prefix }}.source_url as {{ prefix }}_source_url,
        {%- endfor %}
        cofer_by_year.usd_share_pct as cofer_usd_share_pct,
        cofer_by_year.obs_date as cofer_quarter_date
    from years
    {%- for prefix, indicator in indicators.items() %}
    left join shares as {{ prefix }}
        on years.year = {{ prefix }}.year and {{ prefix }}.indicator_id = '{{ indicator }}'
    {%- endfor %}
    {%- for prefix, indicator in indicators.items() if prefix in ['gdp', 'market_cap'] %}
    left join shares as {{ prefix }}_5y_ago
        on years.year - 5 = {{ prefix }}_5y_ago.year and {{ prefix }}_5y_ago.indicator_id = '{{ indicator }}'
    {%- endfor %}
    {%- for prefix in context_facts %}
    left join context_by_year as {{ prefix }}
        on years.year = {{ prefix }}.year and {{ prefix }}.context = '{{ prefix }}'
    {%- endfor %}
    left join cofer_by_year on years.year = cofer_by_year.year
)

select * from final
