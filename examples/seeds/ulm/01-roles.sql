INSERT INTO roles (id, name) VALUES (1, 'admin'), (2, 'member') ON CONFLICT (id) DO NOTHING;
