{#- The standard transforms of every series, for the windows the vars list (dbt_project.yml).
    One row per series and kept observation date; one column per transform and window, named
    <transform>_<window>[_<unit>] (config/signals.py names them the same way). -#}
{%- set change_windows = calendar_windows('signal_change_windows') %}
{%- set average_windows = observation_windows('signal_average_windows', 2, 1000) %}
{%- set zscore_windows = observation_windows('signal_zscore_windows', 3, 1000) %}
{%- set average_change_windows = observation_windows('signal_average_change_windows', 1, 120) %}
{%- set recent_days = int_var('signal_recent_days', 0, 36500) %}
{%- set tolerance_days = int_var('year_ago_tolerance_days', 0, 31) %}

with

observations as materialized (
    select * from {{ ref('int_signals__observations') }}
),

windowed as (
    -- One pass over each series in date order: every window below shares one partition and sort.
    select
        source,
        series_id,
        obs_date,
        value,
        row_number() over by_series as observation_number,
        lead(obs_date) over by_series as next_date,
        max(value) over (by_series rows between unbounded preceding and current row) as running_max,
        {%- for n in average_windows %}
        avg(value) over (by_series rows between {{ n - 1 }} preceding and current row) as average_{{ n }},
        {%- endfor %}
        {%- for n in zscore_windows %}
        avg(value) over (by_series rows between {{ n - 1 }} preceding and current row) as zscore_mean_{{ n }},
        stddev_samp(value) over (by_series rows between {{ n - 1 }} preceding and current row)
            as zscore_sd_{{ n }},
        {%- endfor %}
        {%- for n in average_change_windows %}
        lag(value, {{ n }}) over by_series as lag_{{ n }},
        {%- endfor %}
        obs_date as date
    from observations
    window by_series as (partition by source, series_id order by obs_date)
),

latest as (
    select source, series_id, max(obs_date) as last_date
    from observations
    group by source, series_id
),

kept as (
    -- Every observation of the last `signal_recent_days` of the series (today's verdict, however
    -- long its release lag, and the recent history), and before them each month's last one: what
    -- a month-end backfill reads. At 5,000 daily series over ten years that is about 2 M rows,
    -- not 13 M; the windows above still ran over the whole history.
    select windowed.*
    from windowed
    inner join latest using (source, series_id)
    where windowed.obs_date > latest.last_date - {{ recent_days }}
        or windowed.next_date is null
        or date_trunc('month', windowed.next_date) > date_trunc('month', windowed.obs_date)
),

targets as (
    -- Per kept row and change window, the date its base must lie on or before: D minus the window.
    {%- for w in change_windows %}
    select source, series_id, obs_date, '{{ w }}' as change_window,
        cast(obs_date - {{ window_interval(w) }} as date) as target
    from kept
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

based as (
    -- The last observation on or before each target (as-of join, as int_prices__returns finds the
    -- year-ago value). One join for every window at once: a join per window sorted the whole
    -- history once each, three times slower at 1,000 series.
    select
        targets.*,
        base.obs_date as base_date,
        base.value as base_value
    from targets
    asof left join observations as base
        on base.source = targets.source
        and base.series_id = targets.series_id
        and base.obs_date <= targets.target
),

bases as (
    -- A base counts only within `year_ago_tolerance_days` of its target: a series that went quiet
    -- gives no change rather than a change over a longer span, and a monthly series no 1-week one.
    select
        source,
        series_id,
        obs_date
        {%- for w in change_windows %},
        max(base_value) filter (
            where change_window = '{{ w }}' and base_date >= target - {{ tolerance_days }}
        ) as base_{{ w }}
        {%- endfor %}
    from based
    group by source, series_id, obs_date
),

final as (
    -- Percent transforms need positive values (NULL otherwise); points work for any series.
    select
        source,
        series_id,
        date,
        date as observation_date,
        value,
        {%- for w in change_windows %}
        case when base_{{ w }} > 0 then 100 * value / base_{{ w }} - 100 end as change_{{ w }}_pct,
        value - base_{{ w }} as change_{{ w }}_pp,
        {%- endfor %}
        {%- for n in average_windows %}
        case when observation_number >= {{ n }} and average_{{ n }} > 0
            then 100 * value / average_{{ n }} - 100 end as vs_average_{{ n }}_pct,
        case when observation_number >= {{ n }} then value - average_{{ n }} end as vs_average_{{ n }}_pp,
        {%- endfor %}
        {%- for n in zscore_windows %}
        case when observation_number >= {{ n }} and zscore_sd_{{ n }} > 0
            then (value - zscore_mean_{{ n }}) / zscore_sd_{{ n }} end as zscore_{{ n }},
        {%- endfor %}
        -- The mean of the last n period-on-period changes telescopes to (v[t] - v[t-n]) / n; in
        -- percent, the compounded rate per period. Periods are observations: a missing one (a
        -- month lost to a shutdown) makes the window reach one period further back.
        {%- for n in average_change_windows %}
        (value - lag_{{ n }}) / {{ n }} as average_change_{{ n }}_pp,
        case when lag_{{ n }} > 0 and value > 0
            then 100 * pow(value / lag_{{ n }}, 1.0 / {{ n }}) - 100 end as average_change_{{ n }}_pct,
        {%- endfor %}
        running_max,
        -- value / running_max first: exactly 1 at a high (100 * v / v can round above 100).
        case when running_max > 0 and value > 0 then 100 * (value / running_max) - 100 end as drawdown_pct,
        value - running_max as drawdown_pp
    from kept
    inner join bases using (source, series_id, obs_date)
)

select * from final
