import './base.css';
import './ingress.css';
