using System.Reflection;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.Model.Tests;

/// <summary>
/// Keeps the rule of Runtime/Scalars from being broken again: nothing in the model runtime may let TorchSharp make a
/// temporary Scalar. Reads the IL of every method of EpdBatch.Model (lambdas and state machines included) and fails on
/// an implicit number-to-Scalar conversion, and on a call into a TorchSharp method that makes a Scalar and never
/// disposes it (a + b, t * 0.5, arange(n) ...), looked up in TorchSharp's own IL a few calls deep.
/// </summary>
[TestFixture]
public sealed class ScalarRuleTests
{
    private const int Depth = 3;
    private static readonly Assembly s_torchSharp = typeof(Scalar).Assembly;
    private readonly Dictionary<(MethodBase, int), MethodBase?> _makers = [];

    [Test]
    public void The_model_runtime_lets_TorchSharp_make_no_temporary_scalar()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in typeof(LanguageModel).Assembly.GetTypes())
        {
            foreach (var method in IlCalls.DeclaredBy(type))
            {
                foreach (var callee in IlCalls.Of(method))
                {
                    if (IsImplicitScalar(callee))
                    {
                        violations.Add($"{Name(method)} converts a number to a Scalar implicitly ({Name(callee)})");
                    }
                    else if (callee.DeclaringType?.Assembly == s_torchSharp && MakerOfTemporaryScalar(callee, Depth) is { } maker)
                    {
                        violations.Add($"{Name(method)} calls {Name(callee)}, in which {Name(maker)} makes a Scalar it never disposes");
                    }
                }
            }
        }
        Assert.That(violations, Is.Empty, () =>
            "use Runtime.Scalars or a using-held Scalar instead (docs/model-runtime.md):\n" + string.Join("\n", violations));
    }

    [Test]
    public void The_check_finds_the_patterns_it_is_meant_to_find()
    {
        // The check itself must not go blind (e.g. after a TorchSharp upgrade that renames what it looks for).
        var tensor = typeof(torch.Tensor);
        Assert.Multiple(() =>
        {
            Assert.That(MakerOfTemporaryScalar(tensor.GetMethod("add", [tensor])!, Depth), Is.Not.Null, "a + b");
            Assert.That(MakerOfTemporaryScalar(tensor.GetMethod("op_Multiply", [tensor, typeof(double)])!, Depth), Is.Not.Null, "t * 0.5");
            Assert.That(MakerOfTemporaryScalar(tensor.GetMethod("add", [tensor, typeof(Scalar)])!, Depth), Is.Null, "a.add(b, One)");
            Assert.That(IsImplicitScalar(typeof(Scalar).GetMethod("op_Implicit", [typeof(float)])!), Is.True, "masked_fill(m, 0f)");
        });
    }

    private static bool IsImplicitScalar(MethodBase method) =>
        method.DeclaringType == typeof(Scalar) && method.Name == "op_Implicit";

    /// <summary>The method, reached from <paramref name="method"/> within TorchSharp, that makes a Scalar and never disposes it.</summary>
    private MethodBase? MakerOfTemporaryScalar(MethodBase method, int depth)
    {
        if (_makers.TryGetValue((method, depth), out var known))
        {
            return known;
        }
        _makers[(method, depth)] = null; // recursion guard
        var callees = IlCalls.Of(method).ToArray();
        var makes = callees.Any(c => IsImplicitScalar(c) || c.Name == nameof(ScalarExtensionMethods.ToScalar));
        var disposes = callees.Any(c => c.DeclaringType == typeof(Scalar) && c.Name == nameof(Scalar.Dispose));
        var maker = makes && !disposes ? method
            : depth == 0 ? null
            : callees.Where(c => c.DeclaringType?.Assembly == s_torchSharp)
                .Select(c => MakerOfTemporaryScalar(c, depth - 1))
                .FirstOrDefault(m => m is not null);
        return _makers[(method, depth)] = maker;
    }

    private static string Name(MethodBase method) =>
        $"{method.DeclaringType?.FullName?.Replace('+', '.')}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
