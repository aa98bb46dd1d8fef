using Mesh.Model.Config;

namespace Mesh.Model.Tests.Config.Parsing;

/// <summary>Issue 15 item 5: a field Mesh does not translate is never ignored in silence.</summary>
public sealed class UnsupportedFieldsTests
{
    [Fact]
    public void IstioKinds_ListEveryUnreadField_WithItsPath_AndAreStillServed()
    {
        var vs = YamlFixtures.ParseSingle<VirtualService>("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              tls:
              - match: [{sniHosts: [reviews], sourceLabels: {app: shop}}]
                route: [{destination: {host: reviews}}]
              http:
              - retires: {attempts: 3}
                match: [{uri: {prefix: /}, sourceNamespace: shop}]
                route: [{destination: {host: reviews}}]
            """);

        Assert.Equal(["spec.http[0].match[0].sourceNamespace", "spec.http[0].retires", "spec.tls[0].match[0].sourceLabels"], vs.Unsupported.Order(StringComparer.Ordinal).ToArray());
        var warnings = ConfigWarnings.Of(vs, "test.yaml");
        Assert.All(warnings, w => Assert.Equal((ConfigWarnings.NotTranslated, "all"), (w.Reason, ConfigWarnings.ClientsOf(w))));
        Assert.Equal("VirtualService bookinfo/reviews (test.yaml): spec.tls[0].match[0].sourceLabels: " + ConfigWarnings.NotTranslated, warnings.Single(w => w.Field.StartsWith("spec.tls", StringComparison.Ordinal)).ToString());
        Assert.Equal("spec.http[].match[].sourceNamespace", ConfigWarnings.FieldLabel(warnings.Single(w => w.Field.EndsWith("sourceNamespace", StringComparison.Ordinal)).Field));
    }

    [Fact]
    public void DestinationRule_UntranslatedPolicyBlocks_AreListed()
    {
        var dr = YamlFixtures.ParseSingle<DestinationRule>("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN, localityLbSetting: {failoverPriority: [topology.istio.io/subzone]}}
                tls: {mode: SIMPLE, credentialName: reviews-ca}
              subsets:
              - name: v1
                labels: {version: v1}
              workloadSelector: {matchLabels: {app: productpage}}
            """);

        Assert.Equal(["spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority", "spec.trafficPolicy.tls.credentialName", "spec.workloadSelector"], dr.Unsupported.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void FullyReadObjects_AndKubernetesKinds_HaveNone()
    {
        var vs = YamlFixtures.ParseSingle<VirtualService>("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              http:
              - name: all
                match: [{headers: {x-user: {exact: jason}}, ignoreUriCase: true}]
                fault: {delay: {fixedDelay: 1s, percentage: {value: 10}}}
                route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 100}]
                timeout: 3s
                retries: {attempts: 2, retryOn: unavailable}
            """);
        var service = YamlFixtures.ParseSingle<KubeService>("""
            apiVersion: v1
            kind: Service
            metadata: {name: reviews, namespace: bookinfo}
            spec: {clusterIP: 10.0.0.1, sessionAffinity: None, ports: [{name: http, port: 9080}], ipFamilies: [IPv4]}
            """);

        Assert.Empty(vs.Unsupported);
        Assert.Empty(ConfigWarnings.Of(vs, "test.yaml"));
        Assert.Empty(service.Unsupported);
    }
}
