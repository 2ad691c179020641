namespace Condensa.Memory;

/// <summary>
/// Options of a builder whose memory holds multi-formation images (<see cref="MultiFormation"/>): the factor K of the
/// memory it builds, known before it is built (1: one training image per stored image). A scenario that shows real
/// images at the memory's resolution reads it through <see cref="MultiFormation.FactorOf"/>.
/// </summary>
public interface IMultiFormationOptions
{
    int Factor { get; }
}
