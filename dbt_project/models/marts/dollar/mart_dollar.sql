with

broad_dollar as (
    select obs_date, value
    from {{ ref('stg_fred__observations') }}
    where series_id = 'DTWEXBGS'
),

moving_average as (
    select
        obs_date,
        value,
        avg(value) over last_n as average_value,
        count(*) over last_n as observations_in_window
    from broad_dollar
    window last_n as (
        order by obs_date rows between {{ var('dollar_moving_average_days') - 1 }} preceding and current row
    )
),

year_ago as (
    -- As-of join: the last observation on or before the same day a year earlier (holidays and
    -- weekends have none), accepted only if it is within a week of that day.
    select
        current_day.obs_date,
        earlier.obs_date as year_ago_date,
        earlier.value as year_ago_value
    from broad_dollar as current_day
    asof left join broad_dollar as earlier
        on earlier.obs_date <= current_day.obs_date - interval 1 year
),

final as (
    select
        moving_average.obs_date as date,
        moving_average.value as broad_dollar_index,
        case
            when year_ago.year_ago_date >= moving_average.obs_date - interval 1 year - interval 7 day
                then 100 * moving_average.value / year_ago.year_ago_value - 100
        end as broad_dollar_1y_change_pct,
        moving_average.average_value as broad_dollar_200d_average,
        case
            when moving_average.observations_in_window = {{ var('dollar_moving_average_days') }}
                then 100 * moving_average.value / moving_average.average_value - 100
        end as broad_dollar_vs_200d_average_pct
    from moving_average
    left join year_ago on moving_average.obs_date = year_ago.obs_date
)

select * from final
