with

returns as (
    select * from {{ ref('int_prices__returns') }}
),

sp500 as (
    select * from returns where source = 'yahoo' and series_id = '^GSPC'
),

acwx as (
    select * from returns where source = 'yahoo' and series_id = 'ACWX'
),

mchi as (
    select * from returns where source = 'yahoo' and series_id = 'MCHI'
),

fxi as (
    select * from returns where source = 'yahoo' and series_id = 'FXI'
),

csi300 as (
    select * from returns where source = 'yahoo' and series_id = '000300.SS'
),

hsi as (
    select * from returns where source = 'yahoo' and series_id = '^HSI'
),

aligned as (
    -- S&P 500 trading days are the spine. Each other market contributes its latest close on or
    -- before that day (as-of: Shanghai and Hong Kong close on days New York trades), with the
    -- returns computed on its own calendar and the date it was observed.
    select
        sp500.obs_date as date,
        sp500.value as sp500_close,
        sp500.change_1y_pct as sp500_1y_return_pct,
        sp500.change_ytd_pct as sp500_ytd_return_pct,
        acwx.value as acwx_close,
        acwx.change_1y_pct as acwx_1y_return_pct,
        {{ ytd_as_of('acwx', 'sp500.obs_date') }} as acwx_ytd_return_pct,
        acwx.obs_date as acwx_date,
        mchi.value as mchi_close,
        mchi.change_1y_pct as mchi_1y_return_pct,
        {{ ytd_as_of('mchi', 'sp500.obs_date') }} as mchi_ytd_return_pct,
        mchi.obs_date as mchi_date,
        fxi.value as fxi_close,
        fxi.change_1y_pct as fxi_1y_return_pct,
        {{ ytd_as_of('fxi', 'sp500.obs_date') }} as fxi_ytd_return_pct,
        fxi.obs_date as fxi_date,
        csi300.value as csi300_close,
        csi300.change_1y_pct as csi300_1y_return_pct,
        {{ ytd_as_of('csi300', 'sp500.obs_date') }} as csi300_ytd_return_pct,
        csi300.obs_date as csi300_date,
        hsi.value as hsi_close,
        hsi.change_1y_pct as hsi_1y_return_pct,
        {{ ytd_as_of('hsi', 'sp500.obs_date') }} as hsi_ytd_return_pct,
        hsi.obs_date as hsi_date
    from sp500
    asof left join acwx on acwx.obs_date <= sp500.obs_date
    asof left join mchi on mchi.obs_date <= sp500.obs_date
    asof left join fxi on fxi.obs_date <= sp500.obs_date
    asof left join csi300 on csi300.obs_date <= sp500.obs_date
    asof left join hsi on hsi.obs_date <= sp500.obs_date
),

final as (
    select
        *,
        sp500_1y_return_pct - acwx_1y_return_pct as us_minus_ex_us_1y_pp,
        sp500_1y_return_pct - mchi_1y_return_pct as us_minus_china_1y_pp,
        sp500_1y_return_pct - csi300_1y_return_pct as us_minus_csi300_1y_pp,
        sp500_ytd_return_pct - acwx_ytd_return_pct as us_minus_ex_us_ytd_pp,
        sp500_ytd_return_pct - mchi_ytd_return_pct as us_minus_china_ytd_pp,
        sp500_ytd_return_pct - csi300_ytd_return_pct as us_minus_csi300_ytd_pp
    from aligned
)

select * from final
