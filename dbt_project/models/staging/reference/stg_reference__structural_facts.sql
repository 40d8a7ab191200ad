with

source as (
    select * from {{ ref('structural_facts') }}
),

renamed as (
    select
        fact_id,
        pillar,
        metric,
        value,
        unit,
        period as period_text,
        {{ mixed_precision_date('period') }} as period_start,
        {{ mixed_precision('period') }} as period_precision,
        as_of as as_of_text,
        {{ mixed_precision_date('as_of') }} as as_of_date,
        {{ mixed_precision('as_of') }} as as_of_precision,
        source_name,
        source_url,
        article_claim,
        matches_article,
        confidence,
        notes
    from source
),

final as (
    select * from renamed
)

select * from final
