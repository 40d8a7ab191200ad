{#- Every non-null value lies in [min_value, max_value] (either bound optional); with
    exclusive=true, strictly inside (min_value, max_value): prices must be > 0, not >= 0. -#}
{% test within_range(model, column_name, min_value=none, max_value=none, exclusive=false) %}
{%- set below = "<=" if exclusive else "<" -%}
{%- set above = ">=" if exclusive else ">" -%}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {% if min_value is not none %} or {{ column_name }} {{ below }} {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} {{ above }} {{ max_value }} {% endif %}
  )
{% endtest %}
