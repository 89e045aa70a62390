namespace BnVerify.Implementations;

/// <summary>
/// Seed 000, the author's <c>BatchNormalization</c> layer's <c>backward(input, grad_output)</c>: recomputes
/// mu, var and x = (input − mu)/sqrt(var + eps) from the input (its <c>compute</c>), then
/// grad_input = gamma/sqrt(var + eps)·(g − mean(g)) − gamma·(input − mu)·mean(g·(input − mu))/(var + eps)^1.5.
/// The layer's side effects are left out, since they are not part of a gradient: its first forward returns the input
/// and sets gamma := var, beta := mu; later forwards read a global <c>beta</c>; backward updates gamma and beta in place
/// with step 1. Here gamma and eps are the forward's, as they are for an initialized layer. Correct.
/// </summary>
public sealed class Seed000Layer() : BatchNormBackward<double>(BackwardInfo.Correct(
    "seed000-layer", "seed 000, BatchNormalization.backward (statistics recomputed from the input)", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> grad_output, Span<double> grad_input, Span<double> grad_gamma, Span<double> grad_beta)
    {
        int N = cache.N, D = cache.D;
        var input = cache.X;
        var gamma = cache.Gamma;
        double epsilon = cache.Eps;

        // mu, var, x = self.compute(input)
        var mu = new double[D];
        for (int k = 0; k < N * D; k++) mu[k % D] += input[k];
        for (int j = 0; j < D; j++) mu[j] /= N;
        var var = new double[D];
        for (int k = 0; k < N * D; k++) var[k % D] += Math.Pow(input[k] - mu[k % D], 2);
        for (int j = 0; j < D; j++) var[j] /= N;
        var x = new double[N * D];
        for (int k = 0; k < N * D; k++) x[k] = (input[k] - mu[k % D]) / Math.Sqrt(var[k % D] + epsilon);

        // grad_gamma = np.sum(grad_output*x, axis=0); grad_beta = np.sum(grad_output, axis=0)
        grad_gamma.Clear();
        grad_beta.Clear();
        for (int k = 0; k < N * D; k++)
        {
            grad_gamma[k % D] += grad_output[k] * x[k];
            grad_beta[k % D] += grad_output[k];
        }

        // np.mean(grad_output, axis=0) and np.mean(grad_output * (input - mu), axis=0)
        var meanG = new double[D];
        var meanGxmu = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            meanG[k % D] += grad_output[k];
            meanGxmu[k % D] += grad_output[k] * (input[k] - mu[k % D]);
        }
        for (int j = 0; j < D; j++)
        {
            meanG[j] /= N;
            meanGxmu[j] /= N;
        }

        // grad_input = gamma/sqrt(var+eps)*(g - mean(g)) - gamma*(input-mu)*mean(g*(input-mu))/(var+eps)^1.5
        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            grad_input[k] = gamma[j] / Math.Sqrt(var[j] + epsilon) * (grad_output[k] - meanG[j])
                            - gamma[j] * (input[k] - mu[j]) * meanGxmu[j] / Math.Pow(var[j] + epsilon, 1.5);
        }
    }
}
