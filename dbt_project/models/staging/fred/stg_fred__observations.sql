with

source as (
    select * from {{ source('fred', 'fred_observations') }}
),

renamed as (
    select
        series_id,
        obs_date,
        cast(value as double) as value,
        origin,
        fetched_at
    from source
),

final as (
    -- FRED marks holidays and unpublished periods with an empty value: they are not observations.
    select * from renamed
    where value is not null
)

select * from final
