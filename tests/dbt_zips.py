"""dbt project zips for the import tests: a realistic shop project (staging + marts, sources
with freshness, a seed, a snapshot, tests in both the old and the new schema.yml forms)."""

from __future__ import annotations

import io
import zipfile

SHOP = {
    "dbt_project.yml": """\
name: shop
version: "1.0"
config-version: 2
profile: shop
models:
  shop:
    +materialized: view
    staging:
      +schema: staging
    marts:
      +schema: marts
      +materialized: table
seeds:
  shop:
    +schema: raw
""",
    "models/staging/_sources.yml": """\
version: 2
sources:
  - name: shop
    schema: raw
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 12, period: hour}
    tables:
      - name: orders
        description: Orders as the pipeline loaded them
        freshness:
          warn_after: {count: 12, period: hour}
          error_after: {count: 1, period: day}
      - name: customers
        freshness: null
""",
    "models/staging/stg_customers.sql": (
        "select id, name, country\nfrom {{ source('shop', 'customers') }}\n"
    ),
    "models/staging/stg_orders.sql": (
        "select id, customer_id, amount, status\nfrom {{ source('shop', 'orders') }}\n"
    ),
    "models/staging/schema.yml": """\
version: 2
models:
  - name: stg_customers
    description: One row per customer
    columns:
      - name: id
        description: The customer
        tests: [unique, not_null]
  - name: stg_orders
    description: Orders, cleaned
    columns:
      - name: id
        tests: [unique, not_null]
      - name: status
        tests:
          - accepted_values:
              values: [paid, open]
      - name: customer_id
        tests:
          - relationships:
              to: ref('stg_customers')
              field: id
""",
    "models/marts/orders_by_country.sql": """\
{{ config(materialized='table') }}
select c.country, cc.name as country_name, sum(o.amount) as amount
from {{ ref('stg_orders') }} o
join {{ ref('stg_customers') }} c on c.id = o.customer_id
left join {{ ref('country_codes') }} cc on cc.code = c.country
group by 1, 2
""",
    "models/marts/paid_orders.sql": """\
{{ config(materialized='incremental', unique_key='id') }}
select id, amount from {{ ref('stg_orders') }} where status = 'paid'
{% if is_incremental() %} and id > (select max(id) from {{ this }}) {% endif %}
""",
    "models/marts/marts.yml": """\
version: 2
models:
  - name: orders_by_country
    description: Revenue per country
    columns:
      - name: country
        description: ISO code
        data_tests:
          - not_null
          - unique
  - name: paid_orders
    columns:
      - name: id
        data_tests:
          - relationships:
              arguments:
                to: ref('stg_orders')
                field: id
""",
    "seeds/country_codes.csv": "code,name\nde,Germany\nfr,France\n",
    "seeds/seeds.yml": """\
version: 2
seeds:
  - name: country_codes
    description: Country names by ISO code
""",
    "snapshots/customers_snapshot.sql": """\
{% snapshot customers_snapshot %}
{{ config(target_schema='staging', unique_key='id', strategy='check',
          check_cols=['name', 'country']) }}
select id, name, country from {{ source('shop', 'customers') }}
{% endsnapshot %}
""",
}

SHOP_RAW = (  # what the pipeline would have loaded, for a real `dbt build`
    "CREATE TABLE {raw}.orders (id int, customer_id int, amount int, status text,"
    " loaded_at timestamp default now())",
    "CREATE TABLE {raw}.customers (id int, name text, country text,"
    " loaded_at timestamp default now())",
    "INSERT INTO {raw}.customers (id, name, country) VALUES (1, 'Ada', 'de'), (2, 'Bo', 'fr')",
    "INSERT INTO {raw}.orders (id, customer_id, amount, status) VALUES"
    " (1, 1, 10, 'paid'), (2, 2, 20, 'open'), (3, 1, 5, 'paid')",
)


def make_zip(files: dict[str, str | bytes], folder: str = "shop/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(folder + path, text)
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}
