{#- The S&P 500 is loaded twice: Yahoo ^GSPC (full history, the equities mart's spine) and FRED
    SP500 (the last ten years, by licence). Both publish the official close, so on a day both
    have, they agree to rounding; a wider gap means one source is wrong (a stale or partial
    Yahoo bar, a mis-dated row). A warning: Yahoo is best effort, and the mart still builds. -#}
{{ config(severity='warn') }}

with

closes as (
    select * from {{ ref('int_prices__daily') }}
    where (source = 'fred' and series_id = 'SP500') or (source = 'yahoo' and series_id = '^GSPC')
),

both_sources as (
    select
        obs_date,
        max(case when source = 'fred' then value end) as fred_close,
        max(case when source = 'yahoo' then value end) as yahoo_close
    from closes
    group by obs_date
    having count(*) = 2
),

final as (
    select *, 100 * (yahoo_close / fred_close - 1) as gap_pct
    from both_sources
    where abs(yahoo_close / fred_close - 1) > 0.005
)

select * from final
