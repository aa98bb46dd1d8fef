using YamlDotNet.RepresentationModel;

namespace Mesh.Deploy.Tests;

/// <summary>docker-compose.yml: Redis, 2 silos, 2 gateways and the ingest wired to each other and to the repo.</summary>
public sealed class DockerComposeTests
{
    private static readonly string[] s_roles = ["silo", "gateway", "ingest"];

    [Fact]
    public void Services_Roles_AreRedisTwoSilosTwoGatewaysAndOneIngest()
    {
        var roles = ComposeFile.Services.Keys.Select(ComposeFile.Role).ToList();
        Assert.True(roles.Count(r => r == "redis") == 1 && roles.Count(r => r == "silo") == 2 && roles.Count(r => r == "gateway") == 2 && roles.Count(r => r == "ingest") == 1,
            $"{ComposeFile.Path} services: [{string.Join(", ", ComposeFile.Services.Keys)}], expected redis, silo1, silo2, gateway1, gateway2, ingest");
        Assert.Equal("redis:7", ComposeFile.Scalar(ComposeFile.Get(ComposeFile.Services["redis"], "image")));
    }

    [Fact]
    public void DependsOn_EveryName_IsADefinedServiceWithACondition()
    {
        var problems = new Problems();
        var services = ComposeFile.Services;
        foreach (var (name, service) in services)
        {
            foreach (var (dependency, condition) in ComposeFile.DependsOn(service))
            {
                problems.Check(services.ContainsKey(dependency), $"{ComposeFile.Path} services.{name}.depends_on: '{dependency}' is not a defined service");
                problems.Check(condition is "service_healthy" or "service_started" or "service_completed_successfully",
                    $"{ComposeFile.Path} services.{name}.depends_on.{dependency}.condition is '{condition}'");
                if (services.TryGetValue(dependency, out var target) && condition == "service_healthy")
                {
                    problems.Check(ComposeFile.Get(target, "healthcheck") is not null,
                        $"{ComposeFile.Path} services.{name}.depends_on.{dependency}: service_healthy, but services.{dependency} has no healthcheck");
                }
            }
            if (ComposeFile.Role(name) is "silo" or "gateway" or "ingest")
            {
                problems.Check(ComposeFile.DependsOn(service).Count > 0, $"{ComposeFile.Path} services.{name}.depends_on is empty");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void MeshServices_RedisEnv_PointsAtTheRedisService()
    {
        var problems = new Problems();
        var services = ComposeFile.Services;
        foreach (var (name, service) in services.Where(s => s_roles.Contains(ComposeFile.Role(s.Key))))
        {
            var value = ComposeFile.Environment(service).GetValueOrDefault("Mesh__Redis");
            if (value is null)
            {
                problems.Add($"{ComposeFile.Path} services.{name}.environment.Mesh__Redis is not set");
                continue;
            }
            var (host, port) = KubernetesManifestsTests.SplitEndpoint(value);
            problems.Check(services.TryGetValue(host, out var target) && ComposeFile.Role(host) == "redis" && port == 6379,
                $"{ComposeFile.Path} services.{name}.environment.Mesh__Redis '{value}' is not redis-service:6379");
            problems.Check(target is null || ComposeFile.DependsOn(service).ContainsKey(host) || ComposeFile.DependsOn(service).Keys.Any(d => ComposeFile.Role(d) == "silo"),
                $"{ComposeFile.Path} services.{name}.depends_on: neither '{host}' nor a silo");
        }
        problems.AssertNone();
    }

    [Fact]
    public void PublishedHostPorts_AreUniqueAndGatewaysServeXds()
    {
        var problems = new Problems();
        var seen = new Dictionary<string, string>();
        foreach (var (name, service) in ComposeFile.Services)
        {
            foreach (var port in ComposeFile.PublishedPorts(service))
            {
                problems.Check(seen.TryAdd(port, name), $"{ComposeFile.Path} services.{name}.ports: host port {port} is already published by services.{seen.GetValueOrDefault(port)}");
            }
        }
        var xds = ComposeFile.Services.Where(s => ComposeFile.Role(s.Key) == "gateway")
            .SelectMany(s => ComposeFile.Get(s.Value, "ports") is YamlSequenceNode p ? p.Children.Select(ComposeFile.Scalar) : []).ToHashSet();
        problems.Check(xds.SetEquals(["15010:15010", "15011:15010"]), $"{ComposeFile.Path} gateway ports [{string.Join(", ", xds)}], expected 15010:15010 and 15011:15010");
        problems.AssertNone();
    }

    [Fact]
    public void BuildArgRole_MatchesEachServiceRole()
    {
        var problems = new Problems();
        foreach (var (name, service) in ComposeFile.Services.Where(s => s_roles.Contains(ComposeFile.Role(s.Key))))
        {
            var role = ComposeFile.Scalar(ComposeFile.Get(service, "build", "args", "ROLE"));
            problems.Check(role == ComposeFile.Role(name), $"{ComposeFile.Path} services.{name}.build.args.ROLE is '{role}', expected '{ComposeFile.Role(name)}'");
            var dockerfile = ComposeFile.Scalar(ComposeFile.Get(service, "build", "dockerfile"));
            var context = ComposeFile.Scalar(ComposeFile.Get(service, "build", "context")) ?? ".";
            problems.Check(dockerfile is not null && File.Exists(Path.Combine(Repo.PathOf(context), dockerfile)),
                $"{ComposeFile.Path} services.{name}.build.dockerfile '{dockerfile}' (context '{context}') does not exist");
        }
        problems.AssertNone();
    }

    [Fact]
    public void MeshServices_Healthcheck_ProbesReadyzOnTheAdminPort()
    {
        var problems = new Problems();
        foreach (var (name, service) in ComposeFile.Services.Where(s => s_roles.Contains(ComposeFile.Role(s.Key))))
        {
            var test = ComposeFile.Get(service, "healthcheck", "test") switch
            {
                YamlSequenceNode list => string.Join(' ', list.Children.Select(ComposeFile.Scalar)),
                var node => ComposeFile.Scalar(node),
            };
            problems.Check(test?.Contains(":15014/readyz", StringComparison.Ordinal) == true,
                $"{ComposeFile.Path} services.{name}.healthcheck.test '{test}' does not GET :15014/readyz");
        }
        problems.AssertNone();
    }

    [Fact]
    public void IngestManifestsVolume_Source_ExistsInTheRepo()
    {
        var problems = new Problems();
        var ingest = ComposeFile.Services.Where(s => ComposeFile.Role(s.Key) == "ingest").ToList();
        Assert.Single(ingest);
        var (name, service) = ingest[0];
        var manifests = ComposeFile.Environment(service).GetValueOrDefault("Mesh__Manifests");
        var volume = ComposeFile.Volumes(service).FirstOrDefault(v => v.Target == manifests);
        problems.Check(manifests is not null, $"{ComposeFile.Path} services.{name}.environment.Mesh__Manifests is not set");
        problems.Check(volume.Source is not null, $"{ComposeFile.Path} services.{name}.volumes: nothing is mounted at Mesh__Manifests '{manifests}'");
        if (volume.Source is not null)
        {
            problems.Check(volume.Source.StartsWith("./", StringComparison.Ordinal) && Directory.Exists(Repo.PathOf(volume.Source)),
                $"{ComposeFile.Path} services.{name}.volumes: source '{volume.Source}' is not a directory of the repository");
            problems.Check(Directory.Exists(Repo.PathOf(volume.Source)) && Directory.EnumerateFiles(Repo.PathOf(volume.Source), "*.yaml").Any(),
                $"{ComposeFile.Path} services.{name}.volumes: source '{volume.Source}' holds no *.yaml manifests");
        }
        problems.AssertNone();
    }
}
