with

source as (
    select * from {{ source('yahoo', 'yahoo_prices') }}
),

renamed as (
    select
        symbol,
        obs_date,
        cast(open as double) as open,
        cast(high as double) as high,
        cast(low as double) as low,
        cast(close as double) as close,
        cast(adj_close as double) as adj_close,
        cast(volume as bigint) as volume,
        currency,
        exchange_timezone,
        origin,
        fetched_at
    from source
),

final as (
    -- A bar without a close is a session still in progress (or one Yahoo never completed).
    select * from renamed
    where close is not null
)

select * from final
