{%- set window_size = int_var('trading_days_per_year', 3, 1000) %}

with

pairs as (
    -- One row per pair: the asset, and the benchmark whose trading days set the calendar. Another
    -- pair is another row; mart_crypto reads bitcoin against the Nasdaq.
    select * from (
        values ('fred', 'CBBTCUSD', 'fred', 'NASDAQCOM')
    ) as pairs (asset_source, asset_series_id, benchmark_source, benchmark_series_id)
),

returns as (
    select * from {{ ref('int_prices__returns') }}
),

benchmark_days as (
    select
        pairs.asset_source,
        pairs.asset_series_id,
        pairs.benchmark_source,
        pairs.benchmark_series_id,
        returns.obs_date,
        returns.value as benchmark_value,
        returns.daily_return_pct as benchmark_return_pct
    from pairs
    inner join returns
        on returns.source = pairs.benchmark_source
        and returns.series_id = pairs.benchmark_series_id
),

asset_prices as (
    select
        pairs.asset_source,
        pairs.asset_series_id,
        pairs.benchmark_source,
        pairs.benchmark_series_id,
        returns.obs_date,
        returns.value
    from pairs
    inner join returns
        on returns.source = pairs.asset_source
        and returns.series_id = pairs.asset_series_id
),

aligned as (
    {{ align_asset_to_benchmark('benchmark_days', 'asset_prices') }}
),

asset_returns as (
    select
        *,
        100 * asset_value / lag(asset_value) over by_pair - 100 as asset_return_pct
    from aligned
    window by_pair as (
        partition by {{ pair_keys() }} order by obs_date
    )
),

rolling as (
    select
        *,
        regr_slope(asset_return_pct, benchmark_return_pct) over last_year as slope,
        corr(asset_return_pct, benchmark_return_pct) over last_year as correlation,
        regr_count(asset_return_pct, benchmark_return_pct) over last_year as returns_in_window
    from asset_returns
    window last_year as (
        partition by {{ pair_keys() }}
        order by obs_date
        rows between {{ window_size - 1 }} preceding and current row
    )
),

final as (
    select
        asset_source,
        asset_series_id,
        benchmark_source,
        benchmark_series_id,
        obs_date,
        benchmark_value,
        benchmark_return_pct,
        asset_date,
        asset_value,
        asset_return_pct,
        returns_in_window,
        {{ full_window_stat('slope', 'returns_in_window', window_size) }} as beta_1y,
        {{ full_window_stat('correlation', 'returns_in_window', window_size) }} as correlation_1y
    from rolling
)

select * from final
