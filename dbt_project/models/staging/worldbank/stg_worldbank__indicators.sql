with

source as (
    select * from {{ source('worldbank', 'worldbank_indicators') }}
),

renamed as (
    select
        indicator_id,
        country_code,
        country_id,
        country_name,
        cast(year as integer) as year,
        obs_date,
        cast(value as double) as value,
        last_updated,
        origin,
        fetched_at
    from source
),

final as (
    -- NULL values are kept: a World row the API lists without a value (recent market cap) is
    -- not the same as no World row at all, and the marts fall back on the sum of countries only
    -- where World is listed but empty.
    select * from renamed
)

select * from final
