-- The sample customer database of `lethe demo`: customers, their addresses and orders (the shape
-- of the test fixture, after Fides' sample project). Recreated on every `lethe demo`.
CREATE TABLE address (id INTEGER PRIMARY KEY, house INTEGER, street TEXT, city TEXT, state TEXT, zip TEXT);
CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, created TEXT, address_id INTEGER);
CREATE INDEX customer_email_idx ON customer (email);
CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id INTEGER, shipping_address_id INTEGER, total TEXT, placed TEXT);
CREATE INDEX orders_customer_idx ON orders (customer_id);

INSERT INTO address VALUES
    (1, 123, 'Example Street', 'Exampletown', 'NY', '12345'),
    (2, 4, 'Example Lane', 'Exampletown', 'NY', '12321'),
    (3, 1111, 'Example Place', 'Example Mountain', 'TX', '54321');
INSERT INTO customer VALUES
    (1, 'jane@example.com', 'Jane Customer', '2022-05-01T12:22:11', 3),
    (2, 'john@example.com', 'John Customer', '2020-04-01T11:47:42', 1),
    (3, 'jill@example.com', 'Jill Customer', '2021-09-12T08:05:00', 2);
INSERT INTO orders VALUES
    ('ord_1001', 1, 3, '49.90', '2024-02-11'),
    ('ord_1002', 1, 3, '12.50', '2024-06-30'),
    ('ord_1003', 2, 1, '7.00', '2024-03-02'),
    ('ord_1004', 3, 2, '120.00', '2024-08-19');
