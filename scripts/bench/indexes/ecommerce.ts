/**
 * The second workload: an e-commerce schema the advisor was not built against (customers,
 * products, orders, order items, reviews, inventory events), 3.2M rows generated in SQL,
 * 14 read shapes and one write shape, and trap indexes: a true duplicate, a false one (a
 * partial index beside a full one), an unused index. The right answer below was established
 * by experiment (statements timed before and after real builds, plans read with EXPLAIN): see ecommerce.md.
 */
import type pg from "pg";
import type { BenchWorkload, Statement } from "./types.ts";

const CUSTOMERS = 200_000;
const PRODUCTS = 100_000;
const ORDERS = 1_000_000;
const ITEMS = 1_500_000;
const REVIEWS = 300_000;
const EVENTS = 100_000;

const SCHEMA = `
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, country text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL UNIQUE, name text COLLATE "C.utf8" NOT NULL, category_id int NOT NULL,
  price numeric(10,2) NOT NULL, active boolean NOT NULL, attrs jsonb NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, warehouse_id int NOT NULL, status text NOT NULL,
  shipped boolean NOT NULL, total numeric(12,2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL, product_id bigint NOT NULL, quantity int NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE reviews (id bigint PRIMARY KEY, product_id bigint NOT NULL, customer_id bigint NOT NULL, rating int NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE inventory_events (id bigserial PRIMARY KEY, product_id bigint NOT NULL, delta int NOT NULL, at timestamptz NOT NULL);
`;

const DATA = [
  `INSERT INTO customers SELECT g, 'Customer.' || g || '@Example.com', (ARRAY['DE','FR','US','GB','JP','BR','IN','ES'])[1 + g % 8],
     timestamptz '2024-01-01' + (g % 700) * interval '1 day' FROM generate_series(1, ${CUSTOMERS}) g`,
  `INSERT INTO products SELECT g, 'SKU-' || lpad(g::text, 7, '0'),
     (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne','Wonka','Tyrell'])[1 + g % 8] || ' ' ||
     (ARRAY['kettle','lamp','chair','desk','phone','shoe','watch','bag','mug','pen'])[1 + (g / 8) % 10] || ' ' || g,
     g % 500, (g % 1000) + 0.99, g % 10 <> 0,
     jsonb_build_object('brand', 'brand-' || (g % 3000), 'color', (ARRAY['red','blue','green','black'])[1 + g % 4], 'weight', g % 50)
     FROM generate_series(1, ${PRODUCTS}) g`,
  `INSERT INTO orders SELECT g, 1 + (g * 7919) % ${CUSTOMERS}, g % 40, (ARRAY['new','paid','packed','shipped','delivered'])[1 + g % 5],
     g % 50 <> 0, (g % 5000) / 10.0, timestamptz '2025-01-01' + g * interval '30 seconds' FROM generate_series(1::bigint, ${ORDERS}) g`,
  `INSERT INTO order_items SELECT g, 1 + (g - 1) / 2, 1 + (g * 104729) % ${PRODUCTS}, 1 + g % 4, (g % 1000) + 0.99 FROM generate_series(1::bigint, ${ITEMS}) g`,
  `INSERT INTO reviews SELECT g, 1 + (g * 15485863) % ${PRODUCTS}, 1 + g % ${CUSTOMERS}, 1 + g % 5, 'review ' || g,
     timestamptz '2025-01-01' + g * interval '70 seconds' FROM generate_series(1::bigint, ${REVIEWS}) g`,
  `INSERT INTO inventory_events (product_id, delta, at) SELECT 1 + g % ${PRODUCTS}, (g % 7) - 3, timestamptz '2025-01-01' + g * interval '5 minutes'
     FROM generate_series(1, ${EVENTS}) g`,
];

/** Trap indexes: a true duplicate, a false duplicate (partial beside full), an unused one. */
const TRAPS = [
  "CREATE INDEX reviews_customer ON reviews (customer_id)",
  "CREATE INDEX reviews_customer_again ON reviews (customer_id)",
  "CREATE INDEX products_category ON products (category_id)",
  "CREATE INDEX products_category_active ON products (category_id) WHERE active",
  "CREATE INDEX customers_created ON customers (created_at)",
];

export const ecommerce: BenchWorkload = {
  async setup(client: pg.Client) {
    await client.query(SCHEMA);
    for (const sql of DATA) await client.query(sql);
    for (const sql of TRAPS) await client.query(sql);
    await client.query("VACUUM ANALYZE");
    return { customers: CUSTOMERS, products: PRODUCTS, orders: ORDERS, order_items: ITEMS, reviews: REVIEWS, inventory_events: EVENTS };
  },

  async statements(client: pg.Client): Promise<Statement[]> {
    const sample = async (sql: string) => (await client.query(sql)).rows.map((r: Record<string, unknown>) => Object.values(r)[0]);
    const customers = (await sample("SELECT customer_id FROM orders WHERE id % 4999 = 0 LIMIT 200")) as string[];
    const emails = (await sample("SELECT upper(email) FROM customers WHERE id % 997 = 0 LIMIT 200")) as string[];
    const prefixes = (await sample("SELECT left(name, length(name) - 1) FROM products WHERE id % 991 = 0 LIMIT 100")) as string[];
    const pick = <T>(list: T[], i: number) => list[i % list.length]!;
    const day = (i: number) => new Date(Date.parse("2025-04-01T00:00:00Z") + (i % 60) * 86_400_000).toISOString();
    const nextDay = (i: number) => new Date(Date.parse(day(i)) + 86_400_000).toISOString();
    return [
      { name: "orders_of_customer", sql: "SELECT id, status, total, created_at FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20", params: (i) => [pick(customers, i)] },
      { name: "orders_per_status_in_day", sql: "SELECT status, count(*) FROM orders WHERE created_at >= $1 AND created_at < $2 GROUP BY status", params: (i) => [day(i), nextDay(i)] },
      { name: "unshipped_in_warehouse", sql: "SELECT id, customer_id, created_at FROM orders WHERE NOT shipped AND warehouse_id = $1", params: (i) => [i % 40] },
      { name: "items_of_order", sql: "SELECT product_id, quantity, price FROM order_items WHERE order_id = $1", params: (i) => [1 + ((i * 7727) % (ORDERS - 1))] },
      { name: "product_by_brand", sql: "SELECT id, name, price FROM products WHERE attrs ->> 'brand' = $1", params: (i) => [`brand-${(i * 37) % 3000}`] },
      { name: "product_name_prefix", sql: "SELECT id, name FROM products WHERE name LIKE $1", params: (i) => [`${pick(prefixes, i)}%`] },
      { name: "customer_by_email", sql: "SELECT id, country FROM customers WHERE lower(email) = lower($1)", params: (i) => [pick(emails, i)] },
      { name: "reviews_of_product", sql: "SELECT rating, body, created_at FROM reviews WHERE product_id = $1 ORDER BY created_at DESC LIMIT 10", params: (i) => [1 + ((i * 131) % PRODUCTS)] },
      { name: "rating_of_product", sql: "SELECT avg(rating) FROM reviews WHERE product_id = $1", params: (i) => [1 + ((i * 173) % PRODUCTS)] },
      { name: "stock_of_product", sql: "SELECT sum(delta) FROM inventory_events WHERE product_id = $1", params: (i) => [1 + ((i * 211) % PRODUCTS)] },
      // Served already: primary keys, the unique sku, the category index, the (duplicated) customer index.
      { name: "product_by_id (served)", sql: "SELECT name, price FROM products WHERE id = $1", params: (i) => [1 + ((i * 97) % PRODUCTS)] },
      { name: "product_by_sku (served)", sql: "SELECT id, price FROM products WHERE sku = $1", params: (i) => [`SKU-${String(1 + ((i * 89) % PRODUCTS)).padStart(7, "0")}`] },
      { name: "active_in_category (served)", sql: "SELECT id, name FROM products WHERE category_id = $1 AND active", params: (i) => [i % 500] },
      { name: "reviews_by_customer (served)", sql: "SELECT id, rating FROM reviews WHERE customer_id = $1", params: (i) => [1 + ((i * 61) % CUSTOMERS)] },
      { name: "stock_movement (write)", sql: "INSERT INTO inventory_events (product_id, delta, at) VALUES ($1, $2, now())", params: (i) => [1 + ((i * 7) % PRODUCTS), (i % 7) - 3], write: true },
    ];
  },

  right: [
    { name: "orders (customer_id, created_at)", table: "orders", leading: ["customer_id", "created_at"] },
    { name: "orders (created_at) for the day's status counts", table: "orders", leading: ["created_at"] },
    { name: "orders (warehouse_id) WHERE NOT shipped", table: "orders", leading: ["warehouse_id"], where: "NOT shipped" },
    { name: "order_items (order_id)", table: "order_items", leading: ["order_id"] },
    { name: "products ((attrs ->> 'brand'))", table: "products", leading: ["(attrs ->> 'brand'::text)"] },
    { name: "products (name text_pattern_ops)", table: "products", leading: ["name"], patternOps: true },
    { name: "customers ((lower(email)))", table: "customers", leading: ["(lower(email))"] },
    { name: "reviews (product_id, created_at)", table: "reviews", leading: ["product_id", "created_at"] },
    { name: "inventory_events (product_id)", table: "inventory_events", leading: ["product_id"] },
  ],
};
