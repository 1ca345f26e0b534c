DROP TABLE audit_events;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE pack_items;
DROP TABLE packs;
DROP TABLE schools;
DROP TABLE sectors;
