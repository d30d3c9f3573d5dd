-- OAuth 2 authorization code flows under way: the state sent to the API's authorize page, the
-- connection it authorises and the page the person came from. Each is used once and expires.
CREATE TABLE oauth_authorization_requests (
    state TEXT PRIMARY KEY NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    referer TEXT,
    created_at TIMESTAMP NOT NULL
);
