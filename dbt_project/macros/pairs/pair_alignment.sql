{#- The four columns that name a pair: the asset, and the benchmark whose days set the calendar. -#}
{% macro pair_keys() -%}
    asset_source, asset_series_id, benchmark_source, benchmark_series_id
{%- endmacro %}

{#- Every row of `benchmark_days` (a pair's benchmark observations) with the asset's last value on
    or before its date, from `asset_prices` (the pair's asset observations: obs_date, value). A
    crypto weekend, or a holiday the benchmark closes on, lands in the next benchmark day's
    return, so both returns span the same interval. Shared by mart_crypto's pair
    (int_prices__paired_returns) and the generic signal pairs (signal_pairs). -#}
{% macro align_asset_to_benchmark(benchmark_days, asset_prices) -%}
    select
        {{ benchmark_days }}.*,
        {{ asset_prices }}.obs_date as asset_date,
        {{ asset_prices }}.value as asset_value
    from {{ benchmark_days }}
    asof left join {{ asset_prices }}
        on {{ asset_prices }}.asset_source = {{ benchmark_days }}.asset_source
        and {{ asset_prices }}.asset_series_id = {{ benchmark_days }}.asset_series_id
        and {{ asset_prices }}.benchmark_source = {{ benchmark_days }}.benchmark_source
        and {{ asset_prices }}.benchmark_series_id = {{ benchmark_days }}.benchmark_series_id
        and {{ asset_prices }}.obs_date <= {{ benchmark_days }}.obs_date
{%- endmacro %}

{#- A rolling pair statistic (regr_slope, corr) once its window of n returns is full: NULL before,
    NULL, not NaN, where a flat benchmark leaves it undefined. Rounded to 10 decimals: DuckDB's
    windowed aggregates combine partial states in an order that varies from run to run, so the
    last bits did too (a correlation of 1.0 came out as 0.9999999999999999 on some runs). -#}
{% macro full_window_stat(stat, count, n) -%}
    case when {{ count }} = {{ n }} and not isnan({{ stat }}) then round({{ stat }}, 10) end
{%- endmacro %}
