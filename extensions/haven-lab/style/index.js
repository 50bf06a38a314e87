import './base.css';
import './releases.css';
import './ingress.css';
import './preview.css';
