{#- Use configured schema names verbatim (raw, staging, marts, reference), not <target>_<schema>:
    analysts query `marts.mart_dollar`, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
