with

returns as (
    select * from {{ ref('int_prices__returns') }}
),

broad_dollar as (
    select * from returns where source = 'fred' and series_id = 'DTWEXBGS'
),

afe_dollar as (
    select * from returns where source = 'fred' and series_id = 'DTWEXAFEGS'
),

dxy as (
    select * from returns where source = 'yahoo' and series_id = 'DX-Y.NYB'
),

usd_cny as (
    select * from returns where source = 'fred' and series_id = 'DEXCHUS'
),

cofer_quarters as (
    select obs_date, usd_share_pct from {{ ref('stg_imf__cofer') }}
),

cofer as (
    -- The change over four quarters joins on the calendar (the same quarter a year earlier), so
    -- a quarter the IMF never published gives NULL rather than a change over a longer span.
    select
        quarter.obs_date,
        quarter.usd_share_pct,
        quarter.usd_share_pct - year_ago.usd_share_pct as usd_share_4q_change_pp
    from cofer_quarters as quarter
    left join cofer_quarters as year_ago
        on year_ago.obs_date = quarter.obs_date - interval 12 month
),

final as (
    -- The broad index's business days are the spine; each other series contributes its latest
    -- observation on or before that day (as-of), its 1-year change computed on its own calendar,
    -- and the date it was observed.
    select
        broad_dollar.obs_date as date,
        broad_dollar.value as broad_dollar_index,
        broad_dollar.change_1y_pct as broad_dollar_1y_change_pct,
        broad_dollar.moving_average as broad_dollar_200d_average,
        broad_dollar.vs_moving_average_pct as broad_dollar_vs_200d_average_pct,
        afe_dollar.value as afe_dollar_index,
        afe_dollar.change_1y_pct as afe_dollar_1y_change_pct,
        afe_dollar.obs_date as afe_dollar_date,
        dxy.value as dxy_index,
        dxy.change_1y_pct as dxy_1y_change_pct,
        dxy.obs_date as dxy_date,
        usd_cny.value as usd_cny,
        usd_cny.change_1y_pct as usd_cny_1y_change_pct,
        usd_cny.obs_date as usd_cny_date,
        cofer.usd_share_pct as cofer_usd_share_pct,
        cofer.usd_share_4q_change_pp as cofer_usd_share_4q_change_pp,
        cofer.obs_date as cofer_quarter_date
    from broad_dollar
    asof left join afe_dollar on afe_dollar.obs_date <= broad_dollar.obs_date
    asof left join dxy on dxy.obs_date <= broad_dollar.obs_date
    asof left join usd_cny on usd_cny.obs_date <= broad_dollar.obs_date
    asof left join cofer on cofer.obs_date <= broad_dollar.obs_date
)

select * from final
