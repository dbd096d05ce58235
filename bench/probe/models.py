"""PyTorch twins of bench/probe/models.ts (same shapes, random data): ms per training step.
   OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/probe/models.py [names] [--steps N] [--device cuda]"""
import sys, time, math
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2); torch.manual_seed(1)

class Cnn(nn.Module):
    def __init__(s):
        super().__init__(); s.conv1=nn.Conv2d(1,32,3,1); s.conv2=nn.Conv2d(32,64,3,1)
        s.d1=nn.Dropout(0.25); s.d2=nn.Dropout(0.5); s.fc1=nn.Linear(9216,128); s.fc2=nn.Linear(128,10)
    def forward(s,x):
        x=F.relu(s.conv1(x)); x=F.relu(s.conv2(x)); x=F.max_pool2d(x,2); x=s.d1(x); x=torch.flatten(x,1)
        x=F.relu(s.fc1(x)); x=s.d2(x); return F.log_softmax(s.fc2(x),1)

class Makemore(nn.Module):
    def __init__(s):
        super().__init__(); s.wte=nn.Embedding(27,64); s.mlp=nn.Sequential(nn.Linear(16*64,64), nn.Tanh(), nn.Linear(64,27))
    def forward(s,x):
        e=s.wte(x); return s.mlp(e.view(e.shape[0],-1))

class Attn(nn.Module):
    def __init__(s,C,H):
        super().__init__(); s.H=H; s.c_attn=nn.Linear(C,3*C); s.c_proj=nn.Linear(C,C)
        s.register_buffer("bias", torch.tril(torch.ones(32,32)).view(1,1,32,32))
    def forward(s,x):
        B,T,C=x.shape; q,k,v=s.c_attn(x).split(C,2)
        q,k,v=[t.view(B,T,s.H,C//s.H).transpose(1,2) for t in (q,k,v)]
        att=(q@k.transpose(-2,-1))*(1.0/math.sqrt(k.size(-1)))
        att=att.masked_fill(s.bias[:,:,:T,:T]==0, float('-inf')); att=F.softmax(att,-1)
        return s.c_proj((att@v).transpose(1,2).contiguous().view(B,T,C))
class Block(nn.Module):
    def __init__(s,C,H):
        super().__init__(); s.ln_1=nn.LayerNorm(C); s.attn=Attn(C,H); s.ln_2=nn.LayerNorm(C)
        s.c_fc=nn.Linear(C,4*C); s.gelu=nn.GELU(); s.c_proj=nn.Linear(4*C,C)
    def forward(s,x):
        x=x+s.attn(s.ln_1(x)); return x+s.c_proj(s.gelu(s.c_fc(s.ln_2(x))))
class Gpt(nn.Module):
    def __init__(s,V=65,T=32,L=2,H=2,C=32):
        super().__init__(); s.wte=nn.Embedding(V,C); s.wpe=nn.Embedding(T,C)
        s.h=nn.ModuleList([Block(C,H) for _ in range(L)]); s.ln_f=nn.LayerNorm(C); s.lm_head=nn.Linear(C,V,bias=False)
    def forward(s,idx):
        B,T=idx.shape; x=s.wte(idx)+s.wpe(torch.arange(T, device=idx.device))
        for b in s.h: x=b(x)
        return s.lm_head(s.ln_f(x))

class Lstm(nn.Module):
    def __init__(s,V=3985,E=32,Hd=32,L=2,p=0.2):
        super().__init__(); s.drop=nn.Dropout(p); s.encoder=nn.Embedding(V,E); s.rnn=nn.LSTM(E,Hd,L,dropout=p); s.decoder=nn.Linear(Hd,V); s.V=V
    def forward(s,x,h):
        e=s.drop(s.encoder(x)); o,h=s.rnn(e,h); d=s.decoder(s.drop(o)); return F.log_softmax(d.view(-1,s.V),1),h

class Vae(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1=nn.Linear(784,400); s.fc21=nn.Linear(400,20); s.fc22=nn.Linear(400,20); s.fc3=nn.Linear(20,400); s.fc4=nn.Linear(400,784)
    def forward(s,x):
        h=F.relu(s.fc1(x)); mu,lv=s.fc21(h),s.fc22(h); z=mu+torch.randn_like(lv)*torch.exp(0.5*lv)
        return torch.sigmoid(s.fc4(F.relu(s.fc3(z)))),mu,lv

def works():
    W={}
    m=Cnn(); o=torch.optim.Adadelta(m.parameters(),lr=1); x=torch.randn(64,1,28,28); y=torch.randint(0,10,(64,))
    def cnn(): o.zero_grad(); F.nll_loss(m(x),y).backward(); o.step()
    W["cnn"]=cnn
    m2=Makemore(); o2=torch.optim.SGD(m2.parameters(),lr=0.1); x2=torch.randint(0,27,(32,16)); y2=torch.randint(0,27,(32,))
    def mm(): o2.zero_grad(); F.cross_entropy(m2(x2),y2).backward(); o2.step()
    W["makemore"]=mm
    m3=Gpt(); o3=torch.optim.AdamW(m3.parameters(),lr=1e-3); x3=torch.randint(0,65,(32,32)); y3=torch.randint(0,65,(32,32))
    def gpt(): o3.zero_grad(); F.cross_entropy(m3(x3).view(-1,65),y3.view(-1)).backward(); torch.nn.utils.clip_grad_norm_(m3.parameters(),1); o3.step()
    W["gpt"]=gpt
    m4=Lstm(); o4=torch.optim.SGD(m4.parameters(),lr=20); x4=torch.randint(0,3985,(35,20)); y4=torch.randint(0,3985,(700,))
    st={"h":(torch.zeros(2,20,32),torch.zeros(2,20,32))}
    def lstm():
        h=tuple(t.detach() for t in st["h"]); o4.zero_grad(); out,h=m4(x4,h); st["h"]=h
        F.nll_loss(out,y4).backward(); torch.nn.utils.clip_grad_norm_(m4.parameters(),0.25); o4.step()
    W["lstm"]=lstm
    m5=Vae(); o5=torch.optim.Adam(m5.parameters(),lr=1e-3); x5=torch.rand(128,784)
    def vae():
        o5.zero_grad(); r,mu,lv=m5(x5)
        loss=F.binary_cross_entropy(r,x5,reduction="sum")-0.5*torch.sum(1+lv-mu.pow(2)-lv.exp()); loss.backward(); o5.step()
    W["vae"]=vae
    return W

args=sys.argv[1:]; steps=30; dev="cpu"
if "--steps" in args: i=args.index("--steps"); steps=int(args[i+1]); del args[i:i+2]
if "--device" in args: i=args.index("--device"); dev=args[i+1]; del args[i:i+2]
torch.set_default_device(dev) if hasattr(torch, "set_default_device") else None
sync=(lambda: torch.cuda.synchronize()) if dev.startswith("cuda") else (lambda: None)
W=works()
for name in (args or list(W)):
    f=W[name]
    for _ in range(5): f()
    sync(); ts=[]
    for _ in range(steps):
        t0=time.perf_counter(); f(); sync(); ts.append((time.perf_counter()-t0)*1000)
    ts.sort(); print(f"{name:9} median {ts[len(ts)//2]:.2f} ms/step  (min {ts[0]:.2f}, {steps} steps)")
