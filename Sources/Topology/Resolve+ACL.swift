extension Resolver {
    /// The key prefix of an instance's Redis user: `redis.prefix` or `<service>:`, then
    /// `<tenant>:` per tenant (channels are not per index, so tenants need prefixes of their own).
    func redisKeyPrefix(_ service: Service, tenant: String?) -> String {
        (service.redisPrefix ?? "\(service.name):") + (tenant.map { "\($0):" } ?? "")
    }

    /// Redis servers with `acl`: a user per instance with its own password, ovudev's own user as
    /// the superuser, and each instance's slot naming its user and prefix.
    func redisACLUsers(_ instances: inout [ServiceInstance], _ builders: ServerBuilders) {
        for i in instances.indices {
            guard var slot = instances[i].redis, let b = builders[slot.server], let service = topology.service(instances[i].service) else { continue }
            let acl = topology.server(slot.server)?.acl == true
            if acl || service.redisPrefix != nil { slot.keyPrefix = redisKeyPrefix(service, tenant: instances[i].tenant) }
            if acl {
                slot.user = instances[i].name
                slot.secret = SecretRef(variable: "\(envName(instances[i].name))_REDIS_PASSWORD")
                b.server.superuser = RedisUser.admin
                b.server.superuserSecret = SecretRef(variable: "\(envName(b.server.name))_SUPERUSER_PASSWORD")
                var users = b.server.redisUsers ?? []
                users.append(RedisUser(name: slot.user!, secret: slot.secret!, keyPrefix: slot.keyPrefix!, index: slot.index))
                b.server.redisUsers = users.sorted { $0.name < $1.name }
            }
            instances[i].redis = slot
        }
    }
}
