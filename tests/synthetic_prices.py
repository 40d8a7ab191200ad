"""A synthetic long price table with planted faults, in the layout of staging.int_prices__daily."""

import datetime as dt


def generate_prices(con, series: int, years: int, end: dt.date) -> int:
    """A long price table `bench.prices` (source, series_id, obs_date, value): `series` random
    walks over `years` x 252 business days ending at `end`, plus four catalog series forming the
    gate's two agreement pairs, and planted faults: 3 jumps of +900 % (a shifted decimal), 2
    series stale for 60 days, 1 gap of 20 days, 1 SP500 close 1 % off ^GSPC."""
    days = years * 252
    con.execute("create schema if not exists bench")
    con.execute(
        f"""
        create or replace table bench.prices as
        with
        calendar as (
            select day as obs_date, row_number() over (order by day) as t
            from (select unnest(generate_series(date '{end.isoformat()}' - interval {days * 2} day,
                                               date '{end.isoformat()}', interval 1 day))::date as day)
            where isodow(day) <= 5
            qualify row_number() over (order by day desc) <= {days}
        ),
        ids as (
            select
                case i when 0 then 'fred' when 1 then 'yahoo' when 2 then 'fred' when 3 then 'yahoo'
                    else 'synthetic' end as source,
                case i when 0 then 'SP500' when 1 then '^GSPC' when 2 then 'CBBTCUSD' when 3 then 'BTC-USD'
                    else printf('S%05d', i) end as series_id,
                -- The pairs share a path: SP500 with ^GSPC, CBBTCUSD with BTC-USD.
                case when i < 4 then i // 2 else i end as path
            from range({series}) as r(i)
        ),
        shocks as (
            select ids.source, ids.series_id, calendar.obs_date,
                   ((hash(ids.path, calendar.t) % 2001) / 1000.0 - 1) * 0.02 as shock
            from ids cross join calendar
        )
        select source, series_id, obs_date,
               round(100 * exp(sum(shock) over by_series), 4) as value
        from shocks
        window by_series as (partition by source, series_id order by obs_date)
        """
    )
    con.execute(
        """
        update bench.prices set value = value * 10
        where series_id in ('S00010', 'S01000', 'S04000')
            and obs_date = (select quantile_disc(obs_date, 0.5) from bench.prices)
        """
    )
    con.execute(
        f"delete from bench.prices where series_id in ('S00020', 'S00021') and obs_date > date '{end}' - 60"
    )
    con.execute(
        "delete from bench.prices where series_id = 'S00030' and obs_date between "
        f"date '{end}' - 400 and date '{end}' - 380"
    )
    con.execute(
        "update bench.prices set value = value * 1.01 where series_id = 'SP500' and obs_date = "
        f"date '{end}' - cast(100 + isodow(date '{end}') as integer)"
    )
    return con.execute("select count(*) from bench.prices").fetchall()[0][0]
