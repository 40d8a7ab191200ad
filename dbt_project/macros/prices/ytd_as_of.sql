{#- The year-to-date change of an as-of joined series (`relation`, a CTE of int_prices__returns),
    as of the spine's `spine_date`. When the series has not traded yet this year (Shanghai is shut
    for the first days of January while New York trades), its latest close is last year's final
    one, the YTD base itself: its YTD is 0, not last year's full-year change. NULL when its latest
    close is older than last year. -#}
{% macro ytd_as_of(relation, spine_date) -%}
    case
        when year({{ relation }}.obs_date) = year({{ spine_date }}) then {{ relation }}.change_ytd_pct
        when year({{ relation }}.obs_date) = year({{ spine_date }}) - 1 then 0.0
    end
{%- endmacro %}
