{#- No value of the `columns` is later than `date_column` on the same row: an as-of joined
    observation date never lies after the mart's own date (point in time: a row dated D uses only
    observations dated on or before D). One scan for all the columns. -#}
{% test not_after(model, columns, date_column) %}
select {{ date_column }}, {{ columns | join(', ') }}
from {{ model }}
where false
{%- for column in columns %}
    or {{ column }} > {{ date_column }}
{%- endfor %}
{% endtest %}
