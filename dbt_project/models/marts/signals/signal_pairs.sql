{#- The pair transforms of every declared pair (var signal_pairs, set from the theses' metrics):
    the spread, the relative performance over each change window, and the rolling beta and
    correlation of daily returns. One row per pair and benchmark observation date. -#}
{%- set pairs = signal_pair_list() %}
{%- set change_windows = calendar_windows('signal_change_windows') %}
{%- set pair_windows = observation_windows('signal_pair_windows', 3, 1000) %}
{%- set tolerance_days = int_var('year_ago_tolerance_days', 0, 31) %}

with

pairs as (
    {%- if pairs %}
    select * from (
        values
        {%- for p in pairs %}
        ('{{ p[0] }}', '{{ p[1] }}', '{{ p[2] }}', '{{ p[3] }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as pairs (asset_source, asset_series_id, benchmark_source, benchmark_series_id)
    {%- else %}
    -- No pair declared: an empty table with the same columns.
    select
        cast(null as varchar) as asset_source,
        cast(null as varchar) as asset_series_id,
        cast(null as varchar) as benchmark_source,
        cast(null as varchar) as benchmark_series_id
    where false
    {%- endif %}
),

observations as (
    select * from {{ ref('int_signals__observations') }}
),

benchmark_days as (
    select
        pairs.*,
        observations.obs_date,
        observations.value as benchmark_value
    from pairs
    inner join observations
        on observations.source = pairs.benchmark_source
        and observations.series_id = pairs.benchmark_series_id
),

asset_prices as (
    select
        pairs.*,
        observations.obs_date,
        observations.value
    from pairs
    inner join observations
        on observations.source = pairs.asset_source
        and observations.series_id = pairs.asset_series_id
),

aligned as (
    -- The benchmark's observation dates set the calendar; the asset contributes its last value on
    -- or before each, as in int_prices__paired_returns.
    {{ align_asset_to_benchmark('benchmark_days', 'asset_prices') }}
),

returns as (
    select
        *,
        100 * asset_value / lag(asset_value) over by_pair - 100 as asset_return_pct,
        100 * benchmark_value / lag(benchmark_value) over by_pair - 100 as benchmark_return_pct
    from aligned
    window by_pair as (
        partition by {{ pair_keys() }} order by obs_date
    )
),

rolling as (
    select
        *
        {%- for n in pair_windows %},
        regr_slope(asset_return_pct, benchmark_return_pct) over last_{{ n }} as slope_{{ n }},
        corr(asset_return_pct, benchmark_return_pct) over last_{{ n }} as correlation_raw_{{ n }},
        regr_count(asset_return_pct, benchmark_return_pct) over last_{{ n }} as returns_in_{{ n }}
        {%- endfor %}
    from returns
    window
        by_pair as (
            partition by {{ pair_keys() }} order by obs_date
        )
        {%- for n in pair_windows %},
        last_{{ n }} as (by_pair rows between {{ n - 1 }} preceding and current row)
        {%- endfor %}
),

bases as (
    -- Per change window, both sides' values as of D minus the window (within the tolerance), from
    -- the same aligned rows: the relative performance compares like spans.
    select
        rolling.*
        {%- for w in change_windows %},
        case when base_{{ loop.index }}.obs_date >= cast(rolling.obs_date - {{ window_interval(w) }} as date) - {{ tolerance_days }}
            then base_{{ loop.index }}.asset_value end as asset_base_{{ w }},
        case when base_{{ loop.index }}.obs_date >= cast(rolling.obs_date - {{ window_interval(w) }} as date) - {{ tolerance_days }}
            then base_{{ loop.index }}.benchmark_value end as benchmark_base_{{ w }}
        {%- endfor %}
    from rolling
    {%- for w in change_windows %}
    asof left join aligned as base_{{ loop.index }}
        on base_{{ loop.index }}.asset_source = rolling.asset_source
        and base_{{ loop.index }}.asset_series_id = rolling.asset_series_id
        and base_{{ loop.index }}.benchmark_source = rolling.benchmark_source
        and base_{{ loop.index }}.benchmark_series_id = rolling.benchmark_series_id
        and base_{{ loop.index }}.obs_date <= cast(rolling.obs_date - {{ window_interval(w) }} as date)
    {%- endfor %}
),

final as (
    select
        asset_source,
        asset_series_id,
        benchmark_source,
        benchmark_series_id,
        obs_date as date,
        asset_date,
        -- The older of the two observations: a pair is as stale as its staler side.
        least(obs_date, asset_date) as observation_date,
        asset_value,
        benchmark_value,
        asset_value - benchmark_value as spread
        {%- for w in change_windows %},
        case when asset_base_{{ w }} > 0 and benchmark_base_{{ w }} > 0
            then (100 * asset_value / asset_base_{{ w }}) - (100 * benchmark_value / benchmark_base_{{ w }})
        end as relative_{{ w }}_pp
        {%- endfor %}
        {%- for n in pair_windows %},
        {{ full_window_stat('slope_' ~ n, 'returns_in_' ~ n, n) }} as beta_{{ n }},
        {{ full_window_stat('correlation_raw_' ~ n, 'returns_in_' ~ n, n) }} as correlation_{{ n }}
        {%- endfor %}
    from bases
    where asset_date is not null
)

select * from final
