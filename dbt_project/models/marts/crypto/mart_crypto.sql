with

returns as (
    select * from {{ ref('int_prices__returns') }}
),

btc as (
    select * from returns where source = 'fred' and series_id = 'CBBTCUSD'
),

eth as (
    select * from returns where source = 'fred' and series_id = 'CBETHUSD'
),

mstr as (
    select * from returns where source = 'yahoo' and series_id = 'MSTR'
),

nasdaq as (
    select * from returns where source = 'fred' and series_id = 'NASDAQCOM'
),

btc_vs_nasdaq as (
    select * from {{ ref('int_prices__paired_returns') }}
    where asset_source = 'fred' and asset_series_id = 'CBBTCUSD'
        and benchmark_source = 'fred' and benchmark_series_id = 'NASDAQCOM'
),

aligned as (
    -- Bitcoin's calendar days (weekends included) are the spine. ETH, MSTR and the Nasdaq
    -- contribute their latest observation on or before each day (as-of: on a Saturday, Friday's
    -- close), with returns computed on their own calendars and the date they were observed; the
    -- beta and correlation are those computed on the latest Nasdaq trading day.
    select
        btc.obs_date as date,
        btc.value as btc_usd,
        btc.change_1y_pct as btc_1y_return_pct,
        btc.running_max as btc_all_time_high,
        btc.drawdown_pct as btc_drawdown_pct,
        eth.value as eth_usd,
        eth.change_1y_pct as eth_1y_return_pct,
        eth.drawdown_pct as eth_drawdown_pct,
        eth.obs_date as eth_date,
        mstr.value as mstr_close,
        mstr.change_1y_pct as mstr_1y_return_pct,
        mstr.drawdown_pct as mstr_drawdown_pct,
        mstr.obs_date as mstr_date,
        nasdaq.value as nasdaq_close,
        nasdaq.change_1y_pct as nasdaq_1y_return_pct,
        nasdaq.obs_date as nasdaq_date,
        btc_vs_nasdaq.beta_1y as btc_nasdaq_beta_1y,
        btc_vs_nasdaq.correlation_1y as btc_nasdaq_correlation_1y,
        btc_vs_nasdaq.obs_date as beta_date
    from btc
    asof left join eth on eth.obs_date <= btc.obs_date
    asof left join mstr on mstr.obs_date <= btc.obs_date
    asof left join nasdaq on nasdaq.obs_date <= btc.obs_date
    asof left join btc_vs_nasdaq on btc_vs_nasdaq.obs_date <= btc.obs_date
),

final as (
    select
        *,
        btc_1y_return_pct - nasdaq_1y_return_pct as btc_minus_nasdaq_1y_pp,
        btc_usd / nasdaq_close as btc_nasdaq_ratio
    from aligned
)

select * from final
