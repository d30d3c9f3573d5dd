CREATE TABLE orgs (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The counters are the RoPA summary of the space's products, kept in the same transaction as
-- every product write (and recounted after purpose or notice deletions unmap products).
CREATE TABLE spaces (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    product_count BIGINT NOT NULL DEFAULT 0,
    mapped_count BIGINT NOT NULL DEFAULT 0,
    missing_basis_count BIGINT NOT NULL DEFAULT 0,
    gap_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX spaces_org_idx ON spaces (org_id, slug);

CREATE TABLE privacy_notices (
    id TEXT PRIMARY KEY NOT NULL,
    space_id TEXT NOT NULL REFERENCES spaces (id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    content_url TEXT,
    valid_from TIMESTAMP,
    valid_to TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX privacy_notices_space_idx ON privacy_notices (space_id, created_at);

CREATE TABLE processing_purposes (
    id TEXT PRIMARY KEY NOT NULL,
    notice_id TEXT NOT NULL REFERENCES privacy_notices (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    description TEXT,
    is_essential BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX processing_purposes_notice_idx ON processing_purposes (notice_id, created_at);

-- Catalog products with their compliance metadata. `*_lc` hold lowercase copies for
-- case-insensitive search; `has_compliance_gap` is derived from sensitivity and lawful basis.
CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    space_id TEXT NOT NULL REFERENCES spaces (id),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    product_type TEXT,
    product_kind TEXT,
    source_id TEXT,
    path TEXT,
    environment TEXT,
    sensitivity TEXT,
    data_categories TEXT NOT NULL,
    owner_id TEXT,
    owner_name TEXT,
    processing_purpose_id TEXT REFERENCES processing_purposes (id) ON DELETE SET NULL,
    lawful_basis TEXT,
    lawful_basis_lc TEXT,
    retention_period TEXT,
    data_subject_categories TEXT NOT NULL,
    recipients TEXT NOT NULL,
    has_compliance_gap BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One covering index serves the RoPA: report pages in order (name, id), counts, filters, search
-- and the summary read it without touching the wide rows.
CREATE INDEX products_ropa_idx ON products (
    space_id, name_lc, id, processing_purpose_id, lawful_basis, environment, sensitivity, has_compliance_gap,
    lawful_basis_lc
);
-- Filtered reports count only the matching range of one of these.
CREATE INDEX products_environment_idx ON products (space_id, environment, sensitivity, processing_purpose_id);
CREATE INDEX products_sensitivity_idx ON products (space_id, sensitivity, processing_purpose_id);
CREATE INDEX products_basis_idx ON products (space_id, lawful_basis, processing_purpose_id);
-- Finds the products to unmap when a purpose is deleted (ON DELETE SET NULL).
CREATE INDEX products_purpose_idx ON products (processing_purpose_id);
