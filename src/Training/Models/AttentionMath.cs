using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

/// <summary>Scaled dot-product multi-head attention shared by the BERT-style families (their projections differ only in name).</summary>
internal static class AttentionMath
{
    /// <summary>[batch, seq] 1/0 mask → [batch, 1, 1, seq]: 0 where attended, a large negative where padded.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask) => (1 - attentionMask.unsqueeze(1).unsqueeze(2).to(float32)) * -1e9f;

    /// <summary>softmax(QKᵀ/√d + mask)·V over <paramref name="heads"/> heads, merged back to [batch, seq, hidden].</summary>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor additiveMask, int heads, Dropout dropout)
    {
        var (batch, length, hidden) = (query.shape[0], query.shape[1], query.shape[2]);
        var headSize = hidden / heads;
        Tensor Split(Tensor x) => x.view(batch, length, heads, headSize).transpose(1, 2);
        var scores = Split(query).matmul(Split(key).transpose(-1, -2)) / Math.Sqrt(headSize) + additiveMask;
        return dropout.forward(scores.softmax(-1)).matmul(Split(value)).transpose(1, 2).contiguous().view(batch, length, hidden);
    }
}
