{#- The generic signals' vars (dbt_project.yml), read with their documented ranges enforced, as
    int_var does: a window that is not one fails compilation, naming the var. config/theses.py
    reads the same lists to validate a thesis' signal metrics, and names columns as these do. -#}

{#- A list of calendar windows: `<n>d`, `<n>w`, `<n>m` or `<n>y`, n from 1 to 99. -#}
{% macro calendar_windows(name) -%}
    {%- set windows = var(name) -%}
    {%- if windows is string or windows is not iterable or windows | length == 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-empty list of windows like 1m or 1y") }}
    {%- endif -%}
    {%- for window in windows -%}
        {%- if not modules.re.fullmatch("[1-9][0-9]?[dwmy]", window | string) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ ": " ~ window ~ " is not a calendar window (<n>d, <n>w, <n>m or <n>y, n from 1 to 99)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(windows | map('string') | list) }}
{%- endmacro %}

{#- A list of windows counted in observations, each an integer from min_value to max_value. -#}
{% macro observation_windows(name, min_value, max_value) -%}
    {%- set windows = var(name) -%}
    {%- if windows is string or windows is not iterable or windows | length == 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-empty list of integers") }}
    {%- endif -%}
    {%- for window in windows -%}
        {%- if window is not number or window != window | int or window < min_value or window > max_value -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ ": each window must be an integer from " ~ min_value ~ " to " ~ max_value ~ ", got " ~ window) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(windows | map('int') | list) }}
{%- endmacro %}

{#- A calendar window as a DuckDB interval: 1y -> interval 1 year. -#}
{% macro window_interval(window) -%}
    {%- set units = {'d': 'day', 'w': 'week', 'm': 'month', 'y': 'year'} -%}
    interval {{ window[:-1] }} {{ units[window[-1]] }}
{%- endmacro %}

{#- The declared pairs (var signal_pairs: [{series: <source>/<id>, against: <source>/<id>}]) as
    (asset_source, asset_series_id, benchmark_source, benchmark_series_id) tuples. Each part is
    checked against the catalog's patterns, so nothing but an id is spliced into the SQL. -#}
{% macro signal_pair_list() -%}
    {%- set pairs = var('signal_pairs') -%}
    {%- if pairs is string or pairs is not iterable -%}
        {{ exceptions.raise_compiler_error("var signal_pairs must be a list of {series, against}") }}
    {%- endif -%}
    {%- set out = [] -%}
    {%- for pair in pairs -%}
        {%- set parts = [] -%}
        {%- for ref in [pair.get('series', ''), pair.get('against', '')] -%}
            {%- if not modules.re.fullmatch("[a-z]+/[A-Za-z0-9^._-]+", ref | string) -%}
                {{ exceptions.raise_compiler_error("var signal_pairs: " ~ ref ~ " is not <source>/<series id>") }}
            {%- endif -%}
            {%- do parts.extend((ref | string).split('/', 1)) -%}
        {%- endfor -%}
        {%- do out.append(parts) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}
