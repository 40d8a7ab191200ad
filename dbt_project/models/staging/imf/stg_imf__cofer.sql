with

source as (
    select * from {{ source('imf', 'imf_cofer') }}
),

newest_vintage as (
    -- Every load carries the whole history and restamps each row it holds, so the newest load's
    -- vintage is the current one; rows still stamped otherwise are of a vintage it did not carry
    -- (the IMF's revised history starts in 2000, the old one in 1999). Never splice the two.
    select dataflow
    from source
    order by fetched_at desc, dataflow
    limit 1
),

renamed as (
    select
        series_id,
        obs_date,
        period,
        cast(value as double) as usd_share_pct,
        dataflow,
        origin,
        fetched_at
    from source
    where dataflow = (select dataflow from newest_vintage)
),

final as (
    select * from renamed
    where usd_share_pct is not null
)

select * from final
