/**
 * @tensorgrad/nn — PyTorch-style neural network building blocks on @tensorgrad/autograd.
 * Exports only through this file.
 */

// --- modules, layers, functional, losses, init
export {};

// --- optim, lr schedulers, data, save/load
