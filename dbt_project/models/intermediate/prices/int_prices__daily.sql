with

fred as (
    select
        'fred' as source,
        series_id,
        obs_date,
        value
    from {{ ref('stg_fred__observations') }}
    where series_id in ({{ series_id_list('fred_price_series') }})
),

yahoo as (
    -- close, not adj_close: the indices (^GSPC, CSI 300, Hang Seng, DXY) and FRED's series are
    -- price indices, so returns on close compare like with like (price returns; Yahoo's close is
    -- adjusted for splits, not for dividends), and Yahoo rewrites every past adj_close after each
    -- dividend, which would move history that verdicts were given on.
    select
        'yahoo' as source,
        symbol as series_id,
        obs_date,
        close as value
    from {{ ref('stg_yahoo__prices') }}
),

final as (
    select * from fred
    union all
    select * from yahoo
)

select * from final
