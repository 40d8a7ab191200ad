{#- Project vars read with their documented range enforced (see dbt_project.yml): a window of 0
    observations or a negative tolerance would build silently wrong metrics, so it fails
    compilation instead, naming the var. -#}
{% macro int_var(name, min_value, max_value) -%}
    {%- set value = var(name) -%}
    {%- if value is not number or value != value | int or value < min_value or value > max_value -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be an integer from " ~ min_value ~ " to " ~ max_value ~ ", got " ~ value) }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{#- A numeric var (a capability bar, a percentage) with its documented range enforced; the value
    is spliced into SQL, so anything but a number fails compilation too. -#}
{% macro number_var(name, min_value, max_value) -%}
    {%- set value = var(name) -%}
    {%- if value is not number or value is sameas true or value is sameas false
        or value < min_value or value > max_value -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a number from " ~ min_value ~ " to " ~ max_value ~ ", got " ~ value) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- A var holding a list of series ids, as a SQL list of string literals. Ids are checked against
    the catalog's id pattern, so nothing but an id is ever spliced into the SQL. -#}
{% macro series_id_list(name) -%}
    {%- set ids = var(name) -%}
    {%- if ids is string or ids is not iterable or ids | length == 0 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-empty list of series ids") }}
    {%- endif -%}
    {%- for id in ids -%}
        {%- if not modules.re.fullmatch("[A-Za-z0-9^._-]+", id | string) -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": " ~ id ~ " is not a series id") }}
        {%- endif -%}
        '{{ id }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
