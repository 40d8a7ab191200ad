with

fred as (
    -- Every FRED series: prices, indices, rates and macro series alike (a signal's unit, percent
    -- or points, is the thesis' choice, validated against the catalog's `positive`).
    select
        'fred' as source,
        series_id,
        obs_date,
        value
    from {{ ref('stg_fred__observations') }}
),

yahoo as (
    -- The close, as int_prices__daily takes it (split-adjusted, not dividend-adjusted).
    select
        'yahoo' as source,
        symbol as series_id,
        obs_date,
        close as value
    from {{ ref('stg_yahoo__prices') }}
),

imf as (
    select
        'imf' as source,
        series_id,
        obs_date,
        usd_share_pct as value
    from {{ ref('stg_imf__cofer') }}
),

final as (
    select * from fred
    union all
    select * from yahoo
    union all
    select * from imf
)

select * from final
