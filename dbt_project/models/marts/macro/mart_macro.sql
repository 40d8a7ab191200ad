{#- The monthly series, by column prefix; each gets a value on the spine's own calendar. -#}
{%- set monthly = {
    'cpi_index': 'CPIAUCSL',
    'core_cpi_index': 'CPILFESL',
    'unemployment_rate_pct': 'UNRATE',
    'payrolls_thousands': 'PAYEMS',
} -%}

with

observations as (
    select series_id, obs_date, value
    from {{ ref('stg_fred__observations') }}
    where series_id in (
        'CPIAUCSL', 'CPILFESL', 'UNRATE', 'PAYEMS', 'A191RL1Q225SBEA', 'DFF', 'WALCL', 'DGS10'
    )
),

spine as (
    -- Every calendar month from the first to the latest month any macro series has. A month no
    -- one published (October 2025, lost to the shutdown) is still a row, with NULLs, so the
    -- calendar offsets below always land on the right month.
    select
        cast(month as date) as date,
        cast(month + interval 1 month - interval 1 day as date) as month_end
    from (
        select unnest(generate_series(
            min(date_trunc('month', obs_date)), max(date_trunc('month', obs_date)), interval 1 month
        )) as month
        from observations
    )
),

monthly as (
    select
        cast(date_trunc('month', obs_date) as date) as date,
        {%- for column, series in monthly.items() %}
        max(value) filter (where series_id = '{{ series }}') as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from observations
    where series_id in ('{{ monthly.values() | join("', '") }}')
    group by 1
),

on_spine as (
    select
        spine.date,
        spine.month_end,
        {%- for column in monthly %}
        monthly.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from spine
    left join monthly on spine.date = monthly.date
),

calendar_changes as (
    -- Offsets are joins on the calendar month, never lag() over rows: a missing month makes
    -- every change that needs it NULL instead of silently reaching one month further back.
    select
        current_month.*,
        100 * current_month.cpi_index / year_ago.cpi_index - 100 as cpi_yoy_pct,
        100 * current_month.core_cpi_index / year_ago.core_cpi_index - 100 as core_cpi_yoy_pct,
        -- The mean of the last three monthly changes telescopes to (P[t] - P[t-3]) / 3.
        (current_month.payrolls_thousands - three_months_ago.payrolls_thousands) / 3
            as payrolls_3m_avg_change_thousands
    from on_spine as current_month
    left join on_spine as year_ago on year_ago.date = current_month.date - interval 12 month
    left join on_spine as three_months_ago on three_months_ago.date = current_month.date - interval 3 month
),

inflation_trend as (
    select
        current_month.*,
        current_month.cpi_yoy_pct - six_months_ago.cpi_yoy_pct as cpi_yoy_6m_change_pp,
        current_month.core_cpi_yoy_pct - six_months_ago.core_cpi_yoy_pct as core_cpi_yoy_6m_change_pp
    from calendar_changes as current_month
    left join calendar_changes as six_months_ago
        on six_months_ago.date = current_month.date - interval 6 month
),

first_unemployment_month as (
    select min(date) as date from on_spine where unemployment_rate_pct is not null
),

unemployment_low as (
    -- The spine has one row per calendar month, so 11 preceding rows are exactly the 11
    -- preceding months. The low is over the months that were published; the count says how many.
    select
        on_spine.date,
        min(on_spine.unemployment_rate_pct) over last_12_months as low_pct,
        count(on_spine.unemployment_rate_pct) over last_12_months as months_published,
        -- Only for a published month with a year of history behind it: a "low" over the series'
        -- first months would call any rate the low.
        on_spine.unemployment_rate_pct is not null
        and on_spine.date >= first_unemployment_month.date + interval 11 month as is_comparable
    from on_spine
    cross join first_unemployment_month
    window last_12_months as (order by on_spine.date rows between 11 preceding and current row)
),

gdp as (
    select obs_date, value from observations where series_id = 'A191RL1Q225SBEA'
),

fed_funds as (
    select obs_date, value from observations where series_id = 'DFF'
),

treasury_10y as (
    select obs_date, value from observations where series_id = 'DGS10'
),

walcl as (
    select obs_date, value from observations where series_id = 'WALCL'
),

balance_sheet as (
    -- The 13-week change is taken on the weekly observations themselves (the Wednesday 91 days
    -- earlier), before the monthly as-of join, so it is a true 13-week change whatever the month.
    select
        current_week.obs_date,
        current_week.value,
        100 * current_week.value / thirteen_weeks_ago.value - 100 as change_13w_pct
    from walcl as current_week
    left join walcl as thirteen_weeks_ago
        on thirteen_weeks_ago.obs_date = current_week.obs_date - interval 13 week
),

final as (
    -- Series on other calendars join as of the month's last day: the latest observation dated
    -- on or before it (for a past month its month-end value, for the current month the latest so
    -- far), each with its own date so staleness is visible and a reader can stay point in time.
    select
        inflation_trend.date,
        inflation_trend.cpi_index,
        inflation_trend.cpi_yoy_pct,
        inflation_trend.cpi_yoy_6m_change_pp,
        inflation_trend.core_cpi_index,
        inflation_trend.core_cpi_yoy_pct,
        inflation_trend.core_cpi_yoy_6m_change_pp,
        inflation_trend.unemployment_rate_pct,
        case when unemployment_low.is_comparable then unemployment_low.low_pct end
            as unemployment_12m_low_pct,
        case when unemployment_low.is_comparable then unemployment_low.months_published end
            as unemployment_12m_low_months,
        case
            when unemployment_low.is_comparable
                then inflation_trend.unemployment_rate_pct - unemployment_low.low_pct
        end as unemployment_rise_above_low_pp,
        inflation_trend.payrolls_thousands,
        inflation_trend.payrolls_3m_avg_change_thousands,
        gdp.value as gdp_growth_saar_pct,
        gdp.obs_date as gdp_quarter_date,
        fed_funds.value as dff_rate_pct,
        fed_funds.obs_date as dff_date,
        balance_sheet.value as walcl_usd_mn,
        balance_sheet.change_13w_pct as walcl_13w_change_pct,
        balance_sheet.obs_date as walcl_date,
        treasury_10y.value as dgs10_yield_pct,
        treasury_10y.obs_date as dgs10_date
    from inflation_trend
    left join unemployment_low on inflation_trend.date = unemployment_low.date
    asof left join gdp on gdp.obs_date <= inflation_trend.month_end
    asof left join fed_funds on fed_funds.obs_date <= inflation_trend.month_end
    asof left join balance_sheet on balance_sheet.obs_date <= inflation_trend.month_end
    asof left join treasury_10y on treasury_10y.obs_date <= inflation_trend.month_end
)

select * from final
