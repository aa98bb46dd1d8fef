using System.Text.RegularExpressions;

namespace Mesh.Deploy.Tests;

/// <summary>deploy/docker/Dockerfile builds every role compose asks for, from a project that exists.</summary>
public sealed partial class DockerfileTests
{
    private const string Path = "deploy/docker/Dockerfile";

    private static readonly string s_text = File.ReadAllText(Repo.PathOf(Path));

    /// <summary>The case arms of the publish step: <c>silo) project=src/Silo/Mesh.Silo.csproj ;;</c>.</summary>
    [GeneratedRegex(@"^\s*(?<role>[a-z]+)\)\s*project=(?<project>\S+\.csproj)\s*;;", RegexOptions.Multiline)]
    private static partial Regex CaseArm();

    /// <summary>A per-role final stage and its entrypoint: <c>FROM runtime AS role-silo … ENTRYPOINT ["dotnet", "Mesh.Silo.dll"]</c>.</summary>
    [GeneratedRegex(@"^FROM\s+\S+\s+AS\s+role-(?<role>[a-z]+)\s*$(?<body>(?:(?!^FROM\s).)*)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex RoleStage();

    [GeneratedRegex(@"ENTRYPOINT\s*\[\s*""dotnet""\s*,\s*""(?<dll>[^""]+)""")]
    private static partial Regex Entrypoint();

    private static Dictionary<string, string> Projects() =>
        CaseArm().Matches(s_text).ToDictionary(m => m.Groups["role"].Value, m => m.Groups["project"].Value);

    [Fact]
    public void Dockerfile_EveryComposeRole_HasACaseArmWithAnExistingProject()
    {
        var problems = new Problems();
        var projects = Projects();
        var composeRoles = ComposeFile.Services.Values
            .Select(s => ComposeFile.Scalar(ComposeFile.Get(s, "build", "args", "ROLE")))
            .OfType<string>().ToHashSet();
        problems.Check(composeRoles.SetEquals(["silo", "gateway", "ingest"]), $"{ComposeFile.Path}: build.args.ROLE values [{string.Join(", ", composeRoles)}], expected silo, gateway, ingest");
        foreach (var role in composeRoles.Append("silo").Append("gateway").Append("ingest").Distinct())
        {
            if (!projects.TryGetValue(role, out var project))
            {
                problems.Add($"{Path}: the publish step's case has no '{role})' arm (ROLE={role} is used by {ComposeFile.Path})");
                continue;
            }
            problems.Check(File.Exists(Repo.PathOf(project)), $"{Path}: case arm '{role})' publishes '{project}', which does not exist in the repository");
        }
        problems.Check(s_text.Contains("ARG ROLE=silo", StringComparison.Ordinal), $"{Path}: no 'ARG ROLE=silo' default");
        problems.Check(s_text.Contains("FROM role-${ROLE}", StringComparison.Ordinal), $"{Path}: the final stage is not 'FROM role-${{ROLE}}'");
        problems.AssertNone();
    }

    [Fact]
    public void Dockerfile_RoleStageEntrypoint_RunsTheProjectItPublishes()
    {
        var problems = new Problems();
        var projects = Projects();
        var stages = RoleStage().Matches(s_text).ToDictionary(m => m.Groups["role"].Value, m => m.Groups["body"].Value);
        foreach (var (role, project) in projects)
        {
            if (!stages.TryGetValue(role, out var body))
            {
                problems.Add($"{Path}: no stage 'FROM runtime AS role-{role}' for the case arm '{role})'");
                continue;
            }
            var dll = Entrypoint().Match(body).Groups["dll"].Value;
            var expected = AssemblyName(project) + ".dll";
            problems.Check(dll == expected, $"{Path}: stage role-{role} ENTRYPOINT runs '{dll}', but its case arm publishes {project} ({expected})");
        }
        foreach (var role in stages.Keys.Except(projects.Keys))
        {
            problems.Add($"{Path}: stage role-{role} has no case arm in the publish step");
        }
        problems.AssertNone();
    }

    [Fact]
    public void Dockerfile_Stages_UseTheSdkWithNodeAndTheAspNetRuntime()
    {
        var problems = new Problems();
        problems.Check(s_text.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal), $"{Path}: build stage is not mcr.microsoft.com/dotnet/sdk:10.0");
        problems.Check(Regex.IsMatch(s_text, @"apt-get install[^\n]*\bnodejs\b[^\n]*\bnpm\b"), $"{Path}: build stage does not apt-get install nodejs npm (src/Envoy runs npm pack)");
        problems.Check(s_text.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", StringComparison.Ordinal), $"{Path}: runtime stage is not mcr.microsoft.com/dotnet/aspnet:10.0");
        foreach (var role in new[] { "silo", "gateway", "ingest" })
        {
            problems.Check(s_text.Contains($"--build-arg ROLE={role}", StringComparison.Ordinal), $"{Path}: the header comment does not document the build command for ROLE={role}");
        }
        problems.AssertNone();
    }

    /// <summary>The csproj's AssemblyName, or its file name as MSBuild defaults it.</summary>
    private static string AssemblyName(string project)
    {
        var text = File.Exists(Repo.PathOf(project)) ? File.ReadAllText(Repo.PathOf(project)) : "";
        var set = Regex.Match(text, "<AssemblyName>([^<]+)</AssemblyName>");
        return set.Success ? set.Groups[1].Value : System.IO.Path.GetFileNameWithoutExtension(project);
    }
}
