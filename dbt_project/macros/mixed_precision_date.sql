{#- The curated reference files write dates at the precision the source gave: `YYYY`, `YYYY-Qn`,
    `YYYY-MM` or `YYYY-MM-DD`. These macros give the first day of that period and its precision;
    anything else (empty, free text) gives NULL. -#}
{% macro mixed_precision_date(column) -%}
    case
        when regexp_full_match({{ column }}, '\d{4}-\d{2}-\d{2}') then try_cast({{ column }} as date)
        when regexp_full_match({{ column }}, '\d{4}-\d{2}') then try_cast({{ column }} || '-01' as date)
        when regexp_full_match({{ column }}, '\d{4}-Q[1-4]')
            then make_date(cast(left({{ column }}, 4) as integer), 3 * cast(right({{ column }}, 1) as integer) - 2, 1)
        when regexp_full_match({{ column }}, '\d{4}') then make_date(cast({{ column }} as integer), 1, 1)
    end
{%- endmacro %}

{% macro mixed_precision(column) -%}
    case
        when regexp_full_match({{ column }}, '\d{4}-\d{2}-\d{2}') then 'day'
        when regexp_full_match({{ column }}, '\d{4}-\d{2}') then 'month'
        when regexp_full_match({{ column }}, '\d{4}-Q[1-4]') then 'quarter'
        when regexp_full_match({{ column }}, '\d{4}') then 'year'
    end
{%- endmacro %}
