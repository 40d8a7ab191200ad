-- A table, not a view: every price mart reads it, and at scale (thousands of series over ten
-- years) it is the one heavy step, so it is computed once per build.
{{ config(materialized='table') }}

{%- set window_size = int_var('dollar_moving_average_days', 1, 1000) %}
{%- set tolerance_days = int_var('year_ago_tolerance_days', 0, 31) %}

with

daily as (
    select * from {{ ref('int_prices__daily') }}
),

windowed as (
    -- One pass over each series in date order (every window shares one partition and sort):
    -- the previous observation, the high to date, the trailing moving average.
    select
        source,
        series_id,
        obs_date,
        value,
        lag(obs_date) over by_series as previous_date,
        lag(value) over by_series as previous_value,
        max(value) over (by_series rows between unbounded preceding and current row) as running_max,
        avg(value) over last_n as moving_average,
        -- The window's fill, without a second framed aggregate (one cost 10 % of the model at 12.6 M rows).
        least(row_number() over by_series, {{ window_size }}) as moving_average_observations,
        cast(obs_date - interval 1 year as date) as year_ago_target
    from daily
    window
        by_series as (partition by source, series_id order by obs_date),
        last_n as (by_series rows between {{ window_size - 1 }} preceding and current row)
),

year_ago as (
    -- As-of join, per series: the last observation on or before D - 1 year (a weekend or holiday
    -- has none), used only if it lies within the tolerance of D - 1 year: a series that went
    -- quiet for months gives no 1-year change rather than a change over 14 months.
    select
        windowed.*,
        case when earlier.obs_date >= windowed.year_ago_target - {{ tolerance_days }} then earlier.obs_date end
            as year_ago_date,
        case when earlier.obs_date >= windowed.year_ago_target - {{ tolerance_days }} then earlier.value end
            as year_ago_value
    from windowed
    asof left join daily as earlier
        on earlier.source = windowed.source
        and earlier.series_id = windowed.series_id
        and earlier.obs_date <= windowed.year_ago_target
),

year_ends as (
    -- Each series' last observation of each calendar year: the base of the next year's YTD.
    select
        source,
        series_id,
        year(obs_date) as year,
        max(obs_date) as year_end_date,
        arg_max(value, obs_date) as year_end_value
    from daily
    group by source, series_id, year(obs_date)
),

final as (
    select
        year_ago.source,
        year_ago.series_id,
        year_ago.obs_date,
        year_ago.value,
        year_ago.previous_date,
        100 * year_ago.value / year_ago.previous_value - 100 as daily_return_pct,
        year_ago.year_ago_date,
        year_ago.year_ago_value,
        100 * year_ago.value / year_ago.year_ago_value - 100 as change_1y_pct,
        year_ends.year_end_date as prior_year_end_date,
        year_ends.year_end_value as prior_year_end_value,
        100 * year_ago.value / year_ends.year_end_value - 100 as change_ytd_pct,
        year_ago.running_max,
        -- value / running_max first: it is exactly 1 at a high (100 * v / v can round above 100).
        100 * (year_ago.value / year_ago.running_max) - 100 as drawdown_pct,
        year_ago.moving_average,
        year_ago.moving_average_observations,
        case
            when year_ago.moving_average_observations = {{ window_size }}
                then 100 * year_ago.value / year_ago.moving_average - 100
        end as vs_moving_average_pct
    from year_ago
    left join year_ends
        on year_ends.source = year_ago.source
        and year_ends.series_id = year_ago.series_id
        and year_ends.year = year(year_ago.obs_date) - 1
)

select * from final
