{#- Rows are unique on a combination of columns (dbt_utils.unique_combination_of_columns, which
    can't be installed here: dbt hub packages need the network). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
