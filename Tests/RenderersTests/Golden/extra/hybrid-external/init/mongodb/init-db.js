// Rendered by ovudev from ovu.topology.json (project ovu, scenario hybrid, layout mixed). Do not edit: change the topology and run `ovudev render`.
// Runs with mongosh as the root user; re-runnable (users are created or updated).
function ovuUser(database, user, password, roles) {
  if (!password) throw new Error("no password for " + user + " in " + database);
  const target = db.getSiblingDB(database);
  if (target.getUser(user)) target.updateUser(user, { pwd: password, roles: roles });
  else target.createUser({ user: user, pwd: password, roles: roles });
}
ovuUser("smm_db", "smm_user", process.env.SMM_DB_PASSWORD, [{ role: "readWrite", db: "smm_db" }]);
