-- A person may hold several roles (in a primary school the director
-- usually also teaches a class). users.role stays the primary role, the
-- one a person was created with; user_roles holds every role, the primary
-- one included. Directors and teachers hold their role in a school.
CREATE TABLE user_roles (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('coordinator', 'it', 'inspection', 'education', 'director', 'teacher')),
    school_uai TEXT REFERENCES schools (uai),
    CHECK ((role IN ('director', 'teacher')) = (school_uai IS NOT NULL))
);
-- One row per role and school (a role without a school counts once).
CREATE UNIQUE INDEX user_roles_unique ON user_roles (user_id, role, COALESCE(school_uai, ''));
CREATE INDEX user_roles_school ON user_roles (school_uai, role) WHERE school_uai IS NOT NULL;

INSERT INTO user_roles (user_id, role, school_uai) SELECT id, role, school_uai FROM users;
