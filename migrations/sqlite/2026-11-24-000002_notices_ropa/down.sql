DROP TABLE products;
DROP TABLE processing_purposes;
DROP TABLE privacy_notices;
DROP TABLE spaces;
DROP TABLE orgs;
